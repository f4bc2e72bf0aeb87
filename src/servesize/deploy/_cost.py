"""The cost of the chosen deployment, with the arithmetic spelled out.

Every figure is reproducible by hand from the details: the price of one instance-hour
(the SKU file's ``price``, or vCPUs x core-hour + GiB x gb-hour), times the instances,
divided by the requests an hour carries at the target rate.  With a traffic plan, the
plan's replica-hours become instance-hours (``replica-hours x workers a replica /
workers an instance``, the workers packed into whole instances only on average: a
lower bound when counts do not divide), or, when the plan has a timeline, each step's
replicas are packed into whole instances; either is scaled to a day.
"""

from __future__ import annotations

from typing import Any

from servesize.deploy._choose import Candidate, six
from servesize.deploy._plan import TrafficPlan
from servesize.deploy._prices import Prices

__all__ = ["cost_details", "price_of"]

SECONDS_A_DAY = 86_400.0


def g(value: float) -> str:
    """A number as the arithmetic shows it: six significant digits, no exponent noise."""
    text = f"{value:,.6g}"
    return text if "e" not in text else f"{value:,.6f}".rstrip("0").rstrip(".")


def price_of(candidate: Candidate, prices: Prices) -> tuple[float | None, str]:
    """One instance-hour of the candidate's SKU, and how it was priced."""
    sku = candidate.sku
    if sku.price is not None:
        return sku.price, f"one {sku.instance_type} an hour: {g(sku.price)} (the SKU file's price)"
    value = prices.instance_hour(sku.vcpus, sku.memory_in_gb)
    if value is None:
        return None, ""
    parts = []
    if prices.core_hour is not None:
        parts.append(f"{g(sku.vcpus)} vCPUs x {g(prices.core_hour)}")
    if prices.gb_hour is not None:
        parts.append(f"{g(sku.memory_in_gb)} GiB x {g(prices.gb_hour)}")
    unpriced = (
        ""
        if prices.core_hour is not None and prices.gb_hour is not None
        else (" (memory not priced)" if prices.gb_hour is None else " (vCPUs not priced)")
    )
    return value, f"one {sku.instance_type} an hour: {' + '.join(parts)} = {g(value)}{unpriced}"


def cost_details(
    chosen: Candidate,
    prices: Prices,
    target: float | None,
    plan: TrafficPlan | None,
    replica_workers: int,
) -> dict[str, Any] | None:
    """``details['cost']`` of the chosen candidate; None when it is not priced."""
    each, how = price_of(chosen, prices)
    if each is None or chosen.instances is None:
        return None
    per_hour = chosen.instances * each
    lines = [how, f"per hour: {chosen.instances} instance(s) x {g(each)} = {g(per_hour)}"]
    out: dict[str, Any] = {
        "prices": prices.to_details(),
        "instanceType": chosen.sku.instance_type,
        "instanceCount": chosen.instances,
        "perInstanceHour": six(each),
        "perHour": six(per_hour),
    }
    if chosen.sku.price is not None:
        out["prices"]["priceColumn"] = chosen.sku.price
    if target:
        millions = target * 3600 / 1e6
        per_million = per_hour / millions
        out["queriesPerSecond"] = target
        out["perMillionRequests"] = six(per_million)
        lines.append(
            f"per million requests at {g(target)} requests/s: {g(per_hour)} / "
            f"({g(target)} x 3600 / 1,000,000 = {g(millions)} million an hour) = {g(per_million)}"
        )
    counted = None if plan is None else plan.instance_hours(replica_workers, chosen.workers)
    if plan is not None and counted is not None and plan.duration_seconds:
        instance_hours, how_counted = counted
        a_day = instance_hours * SECONDS_A_DAY / plan.duration_seconds
        per_day = a_day * each
        out["instanceHoursPerDay"] = six(a_day)
        out["perDay"] = six(per_day)
        lines.append(
            f"per day of the traffic plan: {g(instance_hours)} instance-hours over "
            f"{g(plan.duration_seconds)} s of traffic ({how_counted}), x 86,400 / "
            f"{g(plan.duration_seconds)} = {g(a_day)} a day, x {g(each)} = {g(per_day)}"
        )
    out["arithmetic"] = lines
    return out
