"""Where to run a profile: ``details['deployment']`` and ``details['cost']``.

Pure functions of the stored figures (nothing is measured): the profile computes them
when it ends, ``servesize profile report --skus/--price`` recomputes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from servesize.deploy._choose import SYSTEM_RESERVE, Candidate, fit, quota_cores, rank, six
from servesize.deploy._cost import cost_details, price_of
from servesize.deploy._plan import TrafficPlan, autoscale, read_plan
from servesize.deploy._prices import PRICE_KEYS, Prices, parse_prices
from servesize.deploy._skus import BUNDLED, Sku, bundled_skus, find_sku, read_skus
from servesize.deploy._unit import Unit, measured_unit
from servesize.errors import InvalidInputError
from servesize.workspace import Figures

__all__ = ["DeployOptions", "attach", "plan_deployment"]

FORCED = "the SKU asked for (--instance-type)"
#: Azure's default limit of requests/s at an endpoint (it allows an exception)
ENDPOINT_RATE_LIMIT = 500.0
#: the sizes Azure's SKU list cautions about (reference-managed-online-endpoints-vm-sku-list)
SMALLEST = ("standard_ds1_v2", "standard_f2s_v2")


@dataclass(frozen=True)
class DeployOptions:
    """What the user may give: a SKU file, prices, a SKU to use."""

    skus: Sequence[Sku] = ()
    #: where the SKUs came from (a file's path; empty: the bundled table)
    skus_source: str = ""
    prices: Prices = field(default_factory=Prices)
    instance_type: str | None = None

    @classmethod
    def parse(
        cls,
        skus: str | Path | Sequence[Sku] | None = None,
        prices: Iterable[str] | Mapping[str, object] | Prices | None = None,
        instance_type: str | None = None,
    ) -> DeployOptions:
        """Check everything the user gave (one line naming the first problem)."""
        if skus is None:
            table, source = bundled_skus(), ""
        elif isinstance(skus, (str, Path)):
            table, source = read_skus(skus), str(skus)
        else:
            table, source = tuple(skus), "the SKUs given"
        if instance_type is not None:
            find_sku(table, instance_type)
        return cls(table, source, parse_prices(prices), instance_type)

    @classmethod
    def stored(cls, deployment: Mapping[str, Any], cost: Mapping[str, Any] | None) -> DeployOptions:
        """The options a stored deployment was chosen with, as far as they can be had
        again: the prices given, the SKU file when it is still readable, a forced SKU."""
        prices = {k: v for k, v in ((cost or {}).get("prices") or {}).items() if k in PRICE_KEYS}
        source = deployment.get("skus")
        skus: str | None = None
        if isinstance(source, str) and source not in (BUNDLED, "the SKUs given"):
            skus = source if Path(source).is_file() else None
        forced = deployment.get("chosenBy") == FORCED
        try:
            return cls.parse(skus, prices, deployment.get("instanceType") if forced else None)
        except InvalidInputError:  # the file changed since: the bundled table
            return cls.parse(None, prices)

    @property
    def given(self) -> bool:
        """Anything beyond the defaults (reports then recompute the stored answer)."""
        return bool(self.skus_source or self.prices or self.instance_type)


def attach(figures: Figures, options: DeployOptions | None = None) -> None:
    """Set ``figures.deployment`` and ``figures.cost`` (None without a recommendation)."""
    figures.deployment, figures.cost = plan_deployment(figures.to_details(), options)


def plan_deployment(
    details: Mapping[str, Any], options: DeployOptions | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(deployment, cost)`` of a profile's details; ``(None, None)`` when it has no
    recommendation to deploy; cost is None without prices."""
    options = options or DeployOptions.parse()
    figures = Figures.from_details(details)
    unit = measured_unit(figures)
    if unit is None:
        return None, None
    plan = read_plan(details)
    target = unit.target_queries_per_second
    skus = options.skus or bundled_skus()
    replicas = plan.static_replicas if plan is not None else None
    if plan is not None and replicas is None:
        replicas = float(plan.max_replicas)
    candidates = []
    for sku in skus:
        candidate = fit(sku, unit, target, replicas)
        each, _ = price_of(candidate, options.prices)
        candidates.append(_priced(candidate, each))
    ranked = rank(candidates)
    if options.instance_type is not None:
        forced = find_sku(skus, options.instance_type)
        chosen = next(c for c in ranked if c.sku == forced)
        how = FORCED
    else:
        chosen = ranked[0]
        priced = chosen.cost_per_hour is not None
        how = "the lowest cost per hour" if priced else "the fewest vCPUs in total"
    deployment = _deployment(unit, chosen, ranked, options, how, plan, target)
    cost = None
    if chosen.meets_objective:
        cost = cost_details(chosen, options.prices, target, plan, unit.replica_workers)
    return deployment, cost


def _priced(candidate: Candidate, each: float | None) -> Candidate:
    return replace(candidate, price_per_hour=each)


def _deployment(
    unit: Unit,
    chosen: Candidate,
    ranked: list[Candidate],
    options: DeployOptions,
    how: str,
    plan: TrafficPlan | None,
    target: float | None,
) -> dict[str, Any]:
    ok = chosen.meets_objective
    out: dict[str, Any] = {
        "instanceType": chosen.sku.instance_type if ok else None,
        "instanceCount": chosen.instances if ok else None,
        "workersPerInstance": chosen.workers if ok else None,
        "threadsPerWorker": unit.threads,
        "quotaCores": quota_cores(chosen.instances, chosen.sku.vcpus)
        if ok and chosen.instances
        else None,
        "queriesPerSecondPerInstance": six(chosen.queries_per_second or 0) if ok else None,
        "targetQueriesPerSecond": target,
        "latencyObjective": unit.objective,
        "workersMeasured": chosen.measured if ok else None,
        "perWorker": {
            "cpu": six(unit.cpu),
            "memoryInGB": six(unit.memory_in_gb),
            "queriesPerSecond": six(unit.queries_per_second),
        },
        "measuredWorkers": unit.measured_workers,
        "machineWorkers": unit.machine_workers,
        "measuredOn": {"cpuModel": unit.cpu_model, "cpus": unit.machine_cpus},
        "systemReserve": SYSTEM_RESERVE,
        "skus": options.skus_source or BUNDLED,
        "chosenBy": how,
        "notes": _notes(unit, chosen, target),
        "candidates": [c.to_details(target) for c in ranked],
    }
    if ok and plan is not None:
        out["autoscale"] = autoscale(
            plan,
            replica_workers=unit.replica_workers,
            workers=chosen.workers,
            cpu_per_worker=unit.cpu,
            vcpus=chosen.sku.vcpus,
            instances=chosen.instances or 1,
        ).to_details()
    return out


def _notes(unit: Unit, chosen: Candidate, target: float | None) -> list[str]:
    cpu = unit.cpu_model or "a CPU whose model was not recorded"
    notes = [
        f"The cores were measured on this machine's CPU ({cpu}); an Azure vCPU may be "
        "slower or faster. Azure's ACU per vCPU is shown beside each SKU as a guideline; "
        "nothing is scaled by it.",
        f"Rate per worker: {unit.rate_note}, divided by {unit.replica_workers} worker(s).",
    ]
    if not chosen.meets_objective:
        why = unit.rate_note if unit.queries_per_second is None else chosen.note
        notes.append(f"No SKU carries the target: {why}.")
        return notes
    if not chosen.measured:
        can = min(chosen.workers, unit.machine_workers)
        notes.append(
            f"{chosen.note}. To measure {can} of them here: servesize model profile ... "
            f"--workers {can} --cc {can * unit.cpu:g} "
            f"--qps {can * (unit.queries_per_second or 0):.4g} "
            f"--slo {_slo_flag(unit.objective)} --setting sizing=false, and compare its "
            f"{(unit.objective or 'latency').split('<=')[0]} with the objective."
        )
    if chosen.sku.instance_type.lower() in SMALLEST:
        notes.append(
            f"Azure warns that {chosen.sku.instance_type} may be too small for bigger models "
            "(memory, disk, a start too slow for the probes): the memory was measured here, "
            "the disk and the image's start in Azure were not."
        )
    if chosen.instances is not None and chosen.instances < 3:
        notes.append(
            f"Azure recommends at least 3 instances in production; {chosen.instances} "
            "instance(s) carry the target but not the loss of one."
        )
    if target and target > ENDPOINT_RATE_LIMIT:
        notes.append(
            f"{target:g} requests/s is over a managed endpoint's default limit of "
            f"{ENDPOINT_RATE_LIMIT:g}/s (an exception can be asked for)."
        )
    return notes


def _slo_flag(objective: str | None) -> str:
    """``p99<=50ms`` as the CLI's ``p99=50ms``."""
    return (objective or "PERCENTILE=LIMIT").replace("<=", "=")
