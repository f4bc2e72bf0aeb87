"""The facts of a profile as titled tables of strings, shared by every human format.

HTML, Markdown and the terminal summary all show the same figures with the same
labels and units; building them once here keeps the formats from drifting apart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from servesize.report._view import ProfileView
from servesize.report._view import as_number as _number

DASH = "—"


@dataclass(frozen=True)
class FactTable:
    """A titled table: ``headers`` then ``rows``, every cell already formatted."""

    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]] = field(default_factory=list)


# -- number formatting -------------------------------------------------------


def fmt(value: Any, unit: str = "", digits: int | None = None) -> str:
    """A number with a sensible precision and its unit; ``—`` when missing."""
    number = _number(value)
    if number is None:
        return DASH if value is None else str(value)
    if digits is None:
        magnitude = abs(number)
        if unit == "cores":
            digits = 2  # "1.00 cores", never "1 cores"
        elif 0 < magnitude < 0.1:
            digits = 2 - math.floor(math.log10(magnitude))  # three significant digits
        else:
            digits = 0 if magnitude >= 100 or number.is_integer() else 1 if magnitude >= 10 else 2
    text = f"{number:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def fmt_ms(value: Any) -> str:
    return fmt(value, "ms", None if (_number(value) or 0) >= 1 else 3)


def fmt_gb(value: Any) -> str:
    number = _number(value)
    if number is None:
        return DASH
    return f"{fmt(number, 'GB')} ({math.ceil(round(number * 1024, 6)):,} MiB)"


def fmt_share(value: Any) -> str:
    """A 0..1 share as a percentage (values above 1 are taken as percentages)."""
    number = _number(value)
    if number is None:
        return DASH
    percent = number if number > 1 else number * 100
    return f"{percent:.2f} %" if percent not in (0, 100) else f"{percent:.0f} %"


def fmt_value(value: Any) -> str:
    """Any settings/machine value as short text."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def yes_no(value: Any) -> str:
    return DASH if value is None else ("yes" if value else "no")


# -- the sections --------------------------------------------------------------


def recommendation(view: ProfileView) -> FactTable:
    d = view.details
    rows = [
        ("Recommended CPU", fmt(d.get("recommendedCpu"), "cores")),
        ("Recommended memory", fmt_gb(d.get("recommendedMemoryInGB"))),
        (
            f"{_objective_percentile(d)} latency under the recommendation",
            fmt_ms(d.get("recommendationLatencyInMs")),
        ),
    ]
    if d.get("latencyObjective"):
        rows.append(("Replicas", fmt(d.get("recommendedReplicas"), digits=0)))
        rows.append(("Objective met (confirmed)", yes_no(d.get("sloMet"))))
    confirmation = view.section("confirmation")
    if "held" in confirmation:
        rows.append(("Confirmation run held", yes_no(confirmation.get("held"))))
    if d.get("oomKilled"):
        rows.append(("OOM kill", "yes: memory was raised above the limit that was killed"))
    return FactTable("Recommendation", ("", "value"), rows)


def _objective_percentile(d: dict[str, Any]) -> str:
    """``p99`` of ``"p99<=150ms"``; p90 for profiles sized before objectives existed."""
    objective = str(d.get("latencyObjective") or "p90<=")
    return objective.split("<=")[0]


_PERCENTILES = (("p50", "50"), ("p90", "90"), ("p95", "95"), ("p99", "99"), ("p99.9", "999"))


def latency(view: ProfileView) -> FactTable:
    d = view.details
    rows = [
        ("average", fmt_ms(d.get("averageLatencyInMs")), fmt_ms(d.get("serviceTimeAverageInMs")))
    ]
    for label, key in _PERCENTILES:
        rows.append(
            (
                label,
                fmt_ms(d.get(f"latencyPercentile{key}InMs")),
                fmt_ms(d.get(f"serviceTimePercentile{key}InMs")),
            )
        )
    return FactTable("Latency (measurement)", ("", "latency", "service time"), rows)


def throughput(view: ProfileView) -> FactTable:
    d = view.details
    sustainable = fmt(d.get("maxSustainableQueriesPerSecond"), "q/s")
    if d.get("capacityConcurrency") is not None:
        sustainable += f" at concurrency {d['capacityConcurrency']}"
    rows = [
        ("Requested rate", fmt(d.get("requestedQueriesPerSecond"), "q/s")),
        ("Measured rate", fmt(d.get("measuredQueriesPerSecond"), "q/s")),
        ("Max sustainable rate", sustainable),
        ("Queries (successful / total)", _queries(d)),
        ("Success rate", fmt_share(d.get("successRate"))),
        ("Sent > 1 ms late", fmt_share(d.get("lateSendShare"))),
        ("Measurement duration", fmt(d.get("durationSeconds"), "s")),
    ]
    return FactTable("Throughput", ("", "value"), rows)


def _queries(d: dict[str, Any]) -> str:
    if d.get("totalQueries") is None:
        return DASH
    if d.get("successQueries") is None:
        return fmt(d.get("totalQueries"), digits=0)
    return f"{fmt(d.get('successQueries'), digits=0)} / {fmt(d.get('totalQueries'), digits=0)}"


def utilisation(view: ProfileView) -> FactTable:
    d = view.details
    enforced = yes_no(d.get("limitsEnforced"))
    if d.get("limitsNote"):
        enforced += f" ({d['limitsNote']})"
    rows = [
        ("CPU limit (requested)", fmt(d.get("requestedCpu"), "cores")),
        ("Max CPU used (per second)", fmt(d.get("maxUtilizedCpu"), "cores")),
        ("Average CPU used", fmt(d.get("averageUtilizedCpu"), "cores")),
        ("CPU seconds per query", fmt(d.get("cpuSecondsPerQuery"), "s", 4)),
        ("Memory limit (requested)", fmt_gb(d.get("requestedMemoryInGB"))),
        ("Peak memory (working set)", fmt_gb(d.get("maxUtilizedMemoryInGB"))),
        ("Idle memory after init()", fmt_gb(d.get("idleMemoryInGB"))),
        ("Cold start", fmt(d.get("coldStartSeconds"), "s")),
        ("Limits enforced", enforced),
        ("Killed for lack of memory", yes_no(d.get("oomKilled"))),
        ("Workers", fmt_value(d.get("workers"))),
    ]
    return FactTable("Utilisation", ("", "value"), rows)


def confirmation(view: ProfileView) -> FactTable:
    c = view.section("confirmation")
    rows = [
        (
            "Limits",
            f"{fmt(c.get('requestedCpu'), 'cores')}, {fmt_gb(c.get('requestedMemoryInGB'))}",
        ),
        ("Queries", _queries(c)),
        ("Success rate", fmt_share(c.get("successRate"))),
        ("Measured rate", fmt(c.get("measuredQueriesPerSecond"), "q/s")),
        (
            "p90 / p99 latency",
            f"{fmt_ms(c.get('latencyPercentile90InMs'))} / "
            f"{fmt_ms(c.get('latencyPercentile99InMs'))}",
        ),
        ("Recommendation held", yes_no(c.get("held"))),
    ]
    return FactTable("Confirmation under the recommendation", ("", "value"), rows if c else [])


def errors(view: ProfileView) -> FactTable:
    rows: list[tuple[str, ...]] = []
    for key, what in (("errorsByStatus", "HTTP status"), ("errorsByKind", "kind")):
        counts = view.details.get(key)
        if isinstance(counts, dict):
            for name, count in sorted(counts.items(), key=lambda kv: (-_count(kv[1]), kv[0])):
                rows.append((what, str(name), fmt(count, digits=0)))
    return FactTable("Errors", ("by", "status / kind", "count"), rows)


def _count(value: Any) -> float:
    return _number(value) or 0.0


def key_values(title: str, values: dict[str, Any]) -> FactTable:
    rows = [(str(k), fmt_value(v)) for k, v in sorted(values.items())]
    return FactTable(title, ("", "value"), rows)


def profile_info(view: ProfileView) -> FactTable:
    d = view.details
    rows = [
        ("Name", view.name),
        ("State", view.state),
        ("Description", fmt_value(d.get("description")) if d.get("description") else DASH),
        ("Created", fmt_value(d.get("createdTime"))),
        ("Completed", fmt_value(d.get("completedTime"))),
        ("Service log", view.log_location or DASH),
    ]
    if view.error_message:
        rows.insert(2, ("Error", view.error_message))
    return FactTable("Profile", ("", "value"), rows)


def all_tables(view: ProfileView) -> list[FactTable]:
    """Every section in reading order; empty ones are kept so formats can say so."""
    from servesize.report._sizing import objective_tables  # it builds on this module

    return [
        recommendation(view),
        *objective_tables(view),
        latency(view),
        throughput(view),
        utilisation(view),
        confirmation(view),
        errors(view),
        key_values("Settings", view.section("settings")),
        key_values("Machine", view.section("machine")),
        profile_info(view),
    ]
