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
from servesize.workspace import Confirmation, Figures

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
    f = view.figures
    rows = [
        ("Recommended CPU", fmt(f.recommended_cpu, "cores")),
        ("Recommended memory", fmt_gb(f.recommended_memory_in_gb)),
        (
            f"{objective_percentile(f)} latency under the recommendation",
            fmt_ms(f.recommendation_latency_in_ms),
        ),
    ]
    if f.latency_objective:
        rows.append(("Replicas", fmt(f.recommended_replicas, digits=0)))
        rows.append(("Objective (confirmed)", slo_text(f)))
    if f.confirmation is not None and f.confirmation.held is not None:
        rows.append(("Confirmation run held", yes_no(f.confirmation.held)))
    if f.oom_killed:
        rows.append(("OOM kill", "yes: memory was raised above the limit that was killed"))
    return FactTable("Recommendation", ("", "value"), rows)


def slo_text(f: Figures) -> str:
    """How the objective was judged under the recommendation: ``met at 95% confidence
    (2 of 612 requests over the limit)``, ``NOT met ...``, ``undecided ...``."""
    decision = f.confirmation.decision if f.confirmation is not None else None
    outcome = f.slo_decision or {True: "met", False: "missed", None: None}[f.slo_met]
    if outcome is None:
        return "unconfirmed"
    word = {"met": "met", "missed": "NOT met", "undecided": "undecided"}.get(outcome, outcome)
    if not decision:
        return word
    counts = f"{decision.get('overLimit')} of {decision.get('n')} requests over the limit"
    dispersion = float(decision.get("dispersion") or 1.0)
    if dispersion > 1.0:
        counts += f", clustered x{dispersion:.2g}"
    confidence = decision.get("confidence")
    at = f" at {float(confidence):.0%} confidence" if outcome != "undecided" and confidence else ""
    return f"{word}{at} ({counts})"


def objective_percentile(f: Figures) -> str:
    """``p99`` of ``"p99<=150ms"``; p90 for profiles sized before objectives existed."""
    return (f.latency_objective or "p90<=").split("<=")[0]


def latency(view: ProfileView) -> FactTable:
    f = view.figures
    rows = [
        ("average", fmt_ms(f.average_latency_in_ms), fmt_ms(f.service_time_average_in_ms)),
        ("p50", fmt_ms(f.latency_percentile50_in_ms), fmt_ms(f.service_time_percentile50_in_ms)),
        ("p90", fmt_ms(f.latency_percentile90_in_ms), fmt_ms(f.service_time_percentile90_in_ms)),
        ("p95", fmt_ms(f.latency_percentile95_in_ms), fmt_ms(f.service_time_percentile95_in_ms)),
        ("p99", fmt_ms(f.latency_percentile99_in_ms), fmt_ms(f.service_time_percentile99_in_ms)),
        (
            "p99.9",
            fmt_ms(f.latency_percentile999_in_ms),
            fmt_ms(f.service_time_percentile999_in_ms),
        ),
    ]
    first = _first_byte(f)
    if first is None:
        return FactTable("Latency (measurement)", ("", "latency", "service time"), rows)
    with_first = [(*row, first.get(row[0], DASH)) for row in rows]
    return FactTable(
        "Latency (measurement)", ("", "latency", "service time", "time to first byte"), with_first
    )


def _first_byte(f: Figures) -> dict[str, str] | None:
    """Time to first byte by percentile, when the answers came before they were complete
    (a streaming service): some percentile at least 5% and 0.1 ms below the latency."""
    pairs = {
        "p50": (f.time_to_first_byte_percentile50_in_ms, f.latency_percentile50_in_ms),
        "p90": (f.time_to_first_byte_percentile90_in_ms, f.latency_percentile90_in_ms),
        "p99": (f.time_to_first_byte_percentile99_in_ms, f.latency_percentile99_in_ms),
    }
    earlier = any(
        first is not None and full is not None and full - first > max(0.05 * full, 0.1)
        for first, full in pairs.values()
    )
    return {name: fmt_ms(first) for name, (first, _) in pairs.items()} if earlier else None


def throughput(view: ProfileView) -> FactTable:
    f = view.figures
    sustainable = fmt(f.max_sustainable_queries_per_second, "q/s")
    if f.capacity_concurrency is not None:
        sustainable += f" at concurrency {f.capacity_concurrency}"
    rows = [
        ("Requested rate", fmt(f.requested_queries_per_second, "q/s")),
        ("Measured rate", fmt(f.measured_queries_per_second, "q/s")),
        ("Max sustainable rate", sustainable),
        ("Queries (successful / total)", _queries(f.success_queries, f.total_queries)),
        ("Success rate", fmt_share(f.success_rate)),
        ("Sent > 1 ms late", fmt_share(f.late_send_share)),
        ("Measurement duration", fmt(f.duration_seconds, "s")),
    ]
    return FactTable("Throughput", ("", "value"), rows)


def _queries(success: int | None, total: int | None) -> str:
    if total is None:
        return DASH
    if success is None:
        return fmt(total, digits=0)
    return f"{fmt(success, digits=0)} / {fmt(total, digits=0)}"


def utilisation(view: ProfileView) -> FactTable:
    f = view.figures
    enforced = yes_no(f.limits_enforced)
    if f.limits_note:
        enforced += f" ({f.limits_note})"
    rows = [
        ("CPU limit (requested)", fmt(f.requested_cpu, "cores")),
        ("Max CPU used (per second)", fmt(f.max_utilized_cpu, "cores")),
        ("Average CPU used", fmt(f.average_utilized_cpu, "cores")),
        ("CPU seconds per query", fmt(f.cpu_seconds_per_query, "s", 4)),
        ("CPU a request after an idle gap", cold_cost(f.sizing_model)),
        ("Waiting for other processes", fmt_share(f.cpu_contention_share)),
        ("Throttled periods (quota)", fmt_share(f.throttled_share)),
        ("Throttled time", fmt(f.throttled_seconds, "s")),
        ("Memory limit (requested)", fmt_gb(f.requested_memory_in_gb)),
        ("Peak memory (working set)", fmt_gb(f.max_utilized_memory_in_gb)),
        ("Idle memory after init()", fmt_gb(f.idle_memory_in_gb)),
        ("  of which the scoring host", fmt_gb(f.host_idle_memory_in_gb)),
        ("Cold start", fmt(f.cold_start_seconds, "s")),
        ("Limits enforced", enforced),
        ("Killed for lack of memory", yes_no(f.oom_killed)),
        ("Workers", fmt_value(f.workers)),
    ]
    return FactTable("Utilisation", ("", "value"), rows)


def cold_cost(fitted: Any) -> str:
    """``sizingModel``'s cold cost in a line: what a request burnt back to back and
    alone, what was fitted, or why nothing was."""
    step = fitted.get("coldCost") if isinstance(fitted, dict) else None
    if not isinstance(step, dict):
        return DASH
    if step.get("reason"):
        return f"not measured: {step['reason']}"
    warm = [v for v in (step.get("backToBackCpuMs"), step.get("backToBackAfterCpuMs")) if v]
    lone = step.get("loneCpuMs")
    if not warm or not lone:
        return DASH
    seen = f"{fmt_ms(sum(warm) / len(warm))} back to back, {fmt_ms(lone)} alone"
    extra, cool = fitted.get("coldExtra"), fitted.get("coolInMs")
    if not isinstance(extra, int | float) or not isinstance(cool, int | float):
        return f"no dearer ({seen})"
    half = cool * math.log(2)
    return f"+{extra:.0%} after a long gap, half of it after {half:.0f} ms ({seen})"


def confirmation(view: ProfileView) -> FactTable:
    stored = view.figures.confirmation
    c = stored or Confirmation()
    rows = [
        (
            "Limits",
            f"{fmt(c.requested_cpu, 'cores')}, {fmt_gb(c.requested_memory_in_gb)}",
        ),
        ("Queries", _queries(None, c.total_queries)),
        ("Success rate", fmt_share(c.success_rate)),
        ("Measured rate", fmt(c.measured_queries_per_second, "q/s")),
        (
            "p90 / p99 latency",
            f"{fmt_ms(c.latency_percentile90_in_ms)} / {fmt_ms(c.latency_percentile99_in_ms)}",
        ),
        ("Recommendation held", yes_no(c.held)),
    ]
    return FactTable("Confirmation under the recommendation", ("", "value"), rows if stored else [])


_PHASE_ORDER = ("coldstart", "warmup", "capacity", "measurement", "confirmation")


def cpu_sharing(view: ProfileView) -> FactTable:
    """Per phase: time spent waiting for CPUs other processes held, and quota throttling."""
    phases = view.figures.phase_figures or {}
    order = [p for p in _PHASE_ORDER if p in phases] + sorted(set(phases) - set(_PHASE_ORDER))
    rows = []
    for phase in order:
        f = phases[phase] if isinstance(phases[phase], dict) else {}
        throttled = fmt_share(f.get("throttledShare"))
        if f.get("periods") is not None:
            throttled += f" of {fmt(f.get('periods'), digits=0)} periods"
        rows.append(
            (
                phase,
                fmt_share(f.get("cpuContentionShare")),
                throttled,
                fmt(f.get("throttledSeconds"), "s"),
            )
        )
    return FactTable(
        "CPU contention and throttling",
        ("phase", "waiting for other processes", "throttled", "throttled time"),
        rows,
    )


def machine_speed(view: ProfileView) -> FactTable:
    """The speed probe beside the service (docs/verdict.md): how much slower than its
    fastest the CPU ran, over the profile and in its slowest run."""
    f = view.figures
    speed = f.machine_speed if isinstance(f.machine_speed, dict) else {}
    if not speed:
        return FactTable("The CPU's speed", ("", "value"), [])
    loops = (speed.get(k) for k in ("fastestLoopMs", "medianLoopMs", "slowestLoopMs"))
    runs = [
        (float(r["machineSlowdown"]), f"{r.get('phase')}, {fmt(r.get('cpu'), 'cores')}")
        for r in f.sizing or []
        if isinstance(r, dict) and isinstance(r.get("machineSlowdown"), int | float)
    ]
    slowest = max(runs, default=None)
    rows = [
        ("Probe", f"a fixed loop every 100 ms on CPU {speed.get('probeCpu')}"),
        ("Fastest / median / slowest loop", " / ".join(fmt(v, "ms", digits=3) for v in loops)),
        ("Loops more than 25% slower than the fastest", fmt_share(speed.get("slowShare"))),
        ("The measurement ran at", _slowdown(f.machine_slowdown)),
        ("The service's share of the loop's slowdown", _sensitivity(speed.get("sensitivity"))),
        (
            "Slowest run of the sizing",
            f"{_slowdown(slowest[0])} ({slowest[1]})" if slowest else DASH,
        ),
    ]
    return FactTable("The CPU's speed", ("", "value"), rows)


def _sensitivity(value: object) -> str:
    """``machineSpeed.sensitivity``, or why there is none."""
    if not isinstance(value, int | float):
        return "not fitted (the measurement had no slow spell)"
    return f"{value:.2f} (fitted on the measurement's seconds)"


def speed_rule(view: ProfileView) -> str:
    """What the profile did with a slowed run, from its settings."""
    limit = _number(view.section("settings").get("max_slowdown"))
    if not limit:
        return "Every run stands, its slowdown reported (max_slowdown: off)."
    return f"A sizing run more than {limit:g}x slower than the fastest is measured again once."


def _slowdown(value: Any) -> str:
    """``1.04x its fastest`` (the probe's median over its fastest)."""
    number = _number(value)
    return DASH if number is None else f"{number:.2f}x its fastest"


def errors(view: ProfileView) -> FactTable:
    rows: list[tuple[str, ...]] = []
    f = view.figures
    for counts, what in ((f.errors_by_status, "HTTP status"), (f.errors_by_kind, "kind")):
        if isinstance(counts, dict):
            for name, count in sorted(counts.items(), key=lambda kv: (-_count(kv[1]), kv[0])):
                rows.append((what, str(name), fmt(count, digits=0)))
    return FactTable("Errors", ("by", "status / kind", "count"), rows)


def _count(value: Any) -> float:
    return _number(value) or 0.0


def key_values(title: str, values: dict[str, Any]) -> FactTable:
    rows = [(str(k), fmt_value(v)) for k, v in sorted(values.items())]
    return FactTable(title, ("", "value"), rows)


def environment(view: ProfileView) -> FactTable:
    """What the script ran in: the built environment (or servesize's interpreter) and
    every package in it."""
    env = view.figures.environment
    if env is None:
        return FactTable("Environment", ("", "value"), [])
    label = env.name or DASH
    if env.name and env.version:
        label = f"{env.name}:{env.version}"
    if env.isolated is False:
        how = "servesize's own interpreter"
    elif env.cached:
        how = f"cached {env.cache_key}"
    else:
        how = f"built in {fmt(env.build_seconds, 's', 1)}"
    packages = env.packages or []
    rows = [
        ("Environment", label),
        ("Ran in", how),
        ("Python", fmt_value(env.python_version)),
        (f"Packages ({len(packages)})", ", ".join(str(p) for p in packages) or DASH),
    ]
    return FactTable("Environment", ("", "value"), rows)


def profile_info(view: ProfileView) -> FactTable:
    d = view.details
    rows = [
        ("Name", view.name),
        ("State", view.state),
        ("Description", fmt_value(d.get("description")) if d.get("description") else DASH),
        ("Created", fmt_value(d.get("createdTime"))),
        ("Completed", fmt_value(view.figures.completed_time)),
        ("Service log", view.log_location or DASH),
    ]
    if view.error_message:
        rows.insert(2, ("Error", view.error_message))
    return FactTable("Profile", ("", "value"), rows)


def not_measured(view: ProfileView) -> FactTable:
    """What a profile could not measure (a service at a URL), grouped by the reason."""
    by_reason: dict[str, list[str]] = {}
    for key, reason in view.section("notMeasured").items():
        by_reason.setdefault(str(reason), []).append(str(key))
    rows = [(", ".join(keys), reason) for reason, keys in by_reason.items()]
    return FactTable("Not measured", ("figures", "why"), rows)


def all_tables(view: ProfileView) -> list[FactTable]:
    """Every section in reading order; empty ones are kept so formats can say so."""
    from servesize.report._deploy import deployment_tables  # they build on this module
    from servesize.report._plan import plan_tables
    from servesize.report._sizing import objective_tables

    return [
        recommendation(view),
        *objective_tables(view),
        *plan_tables(view),
        *deployment_tables(view),
        latency(view),
        throughput(view),
        utilisation(view),
        cpu_sharing(view),
        machine_speed(view),
        confirmation(view),
        errors(view),
        not_measured(view),
        key_values("Server", view.section("server")),
        key_values("Settings", view.section("settings")),
        key_values("Machine", view.section("machine")),
        environment(view),
        profile_info(view),
    ]
