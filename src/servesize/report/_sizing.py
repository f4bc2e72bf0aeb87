"""The sizing's outputs: its facts, its table (Markdown, CSV) and its chart.

``details['sizing']`` holds one row per allocation tried or predicted (keys of
:meth:`servesize.profiling.sizing.Trial.to_row`); rows with ``source == "measured"``
come from open-loop runs, the others from the queueing model.
"""

from __future__ import annotations

from typing import Any

from servesize.report import _svg
from servesize.report._facts import (
    DASH,
    FactTable,
    fmt,
    fmt_gb,
    fmt_ms,
    fmt_share,
    slo_text,
)
from servesize.report._svg import Axis, Chart, Line, Marker, Rule
from servesize.report._view import ProfileView
from servesize.report._view import as_number as _num

__all__ = ["SIZING_COLUMNS", "objective_tables", "rows", "sizing_chart", "sizing_table"]

#: Columns of ``--format csv-sizing``, in this order, always.
SIZING_COLUMNS = (
    "cpu",
    "workers",
    "threads",
    "queriesPerSecond",
    "maxQueriesPerSecondWithinSlo",
    "latencyPercentile50InMs",
    "latencyPercentile90InMs",
    "latencyPercentile99InMs",
    "objectiveLatencyInMs",
    "sloMet",
    "decision",
    "n",
    "overLimit",
    "dispersion",
    "confidence",
    "durationSeconds",
    "utilizedCpu",
    "throttledShare",
    "machineSlowdown",
    "peakMemoryInGB",
    "source",
    "phase",
)

GREEN, RED, BLUE, GREY = "#16a34a", "#dc2626", "#2563eb", "#64748b"


def rows(view: ProfileView) -> list[dict[str, Any]]:
    return [r for r in view.figures.sizing or [] if isinstance(r, dict)]


def _met(value: Any) -> str:
    return DASH if value is None else ("yes" if value else "no")


def objective_tables(view: ProfileView) -> list[FactTable]:
    """The answer to "what do I need for Q q/s within the objective" (empty if unsized)."""
    f = view.figures
    if not f.latency_objective:
        return []
    replicas = f.recommended_replicas
    workers = fmt(f.recommended_workers, digits=0)
    threads = fmt(f.recommended_threads, digits=0)
    answer = [
        ("Latency objective", f"{f.latency_objective} ({f.latency_objective_source or ''})"),
        ("Target rate", fmt(f.requested_queries_per_second, "q/s")),
        ("Objective (confirmed)", slo_text(f)),
        ("Decided at", _decided_at(f.settings or {})),
        ("Replicas", fmt(replicas, digits=0) if replicas is not None else DASH),
        ("Workers / threads per replica", f"{workers} / {threads}"),
        (
            "Max rate within the objective, a replica",
            fmt(f.max_queries_per_second_within_slo, "q/s"),
        ),
        ("Its percentile under the recommendation", fmt_ms(f.recommendation_latency_in_ms)),
        ("How it was chosen", f.sizing_note or DASH),
    ]
    if f.best_latency_in_ms is not None:
        best = f"{fmt_ms(f.best_latency_in_ms)} by {f.best_latency_by}"
        answer.append(("Best latency reached", best))
    return [FactTable("Sizing for the objective", ("", "value"), answer), sizing_table(view)]


def _decided_at(settings: dict[str, Any]) -> str:
    """The decision's design, as the settings stored it (profiles from before it: none)."""
    confidence, zone = settings.get("confidence"), settings.get("indifference")
    if confidence is None or zone is None:
        return DASH
    return (
        f"{float(confidence):.0%} confidence, sequential test of the share over the limit "
        f"(indifference x{float(zone):g} in odds around the percentile's share)"
    )


def _decision(row: dict[str, Any]) -> str:
    """``met: 0 of 412`` (over the limit, of the requests judged), or yes/no for rows
    without a decision (predicted rows, profiles from before it)."""
    if row.get("decision") is None:
        return _met(row.get("sloMet"))
    text = f"{row['decision']}: {row.get('overLimit')} of {row.get('n')}"
    if float(row.get("dispersion") or 1.0) > 1.0:
        text += f" (x{float(row['dispersion']):.2g})"
    if row.get("outcome") in ("untrusted",) or (
        row.get("decision") == "met" and not row.get("sloMet")
    ):
        text += f", {row.get('outcome') or 'failed'}"
    return text


def _speed(value: Any) -> str:
    """``x1.04``: the CPU's slowdown during the run (docs/verdict.md)."""
    number = _num(value)
    return DASH if number is None else f"x{number:.2f}"


def _source(row: dict[str, Any]) -> str:
    source = str(row.get("source") or DASH)
    return f"{source} ({row['phase']})" if row.get("phase") else source


def sizing_table(view: ProfileView) -> FactTable:
    out = []
    for r in rows(view):
        out.append(
            (
                f"{fmt(r.get('cpu'), 'cores')}, {r.get('workers')} w, {r.get('threads')} t",
                fmt(r.get("queriesPerSecond"), "q/s"),
                fmt(r.get("maxQueriesPerSecondWithinSlo"), "q/s"),
                fmt_ms(r.get("latencyPercentile50InMs")),
                fmt_ms(r.get("latencyPercentile99InMs")),
                fmt_ms(r.get("objectiveLatencyInMs")),
                _decision(r),
                fmt(r.get("utilizedCpu"), "cores"),
                fmt_share(r.get("throttledShare")),
                _speed(r.get("machineSlowdown")),
                fmt_gb(r.get("peakMemoryInGB")).split(" (")[0],
                _source(r),
            )
        )
    headers = (
        "allocation",
        "rate",
        "max rate within objective",
        "p50",
        "p99",
        "objective percentile",
        "decision: over limit of n",
        "CPU used",
        "throttled",
        "CPU slower by",
        "peak memory",
        "measured / predicted",
    )
    return FactTable("Allocations tried and predicted", headers, out)


def sizing_chart(view: ProfileView) -> str:
    """Rate within the objective against cores: the model's line, the measured trials
    (green met, red missed) and the recommendation marked."""
    predicted = sorted(
        (c, q)
        for r in rows(view)
        if r.get("source") == "predicted"
        and (c := _num(r.get("cpu"))) is not None
        and (q := _num(r.get("maxQueriesPerSecondWithinSlo"))) is not None
    )
    chart = Chart(Axis("CPU (cores)"), Axis("queries/s within the objective"))
    chart.lines.append(Line("predicted", predicted, BLUE, True))
    for r in rows(view):
        c, q = _num(r.get("cpu")), _num(r.get("queriesPerSecond"))
        if r.get("source") == "measured" and c is not None and q is not None:
            color = GREEN if r.get("sloMet") else RED
            chart.markers.append(Marker(c, q, "", color, "diamond"))
    f = view.figures
    cpu, rate = _num(f.recommended_cpu), _num(f.max_queries_per_second_within_slo)
    if cpu is not None and rate is not None:
        chart.markers.append(Marker(cpu, rate, f"chosen: {cpu:g} cores", GREEN))
    target = _num(f.requested_queries_per_second)
    if target is not None and (f.settings or {}).get("qps"):
        chart.rules.append(Rule(target, "target rate", GREY))
    return _svg.render(chart, aria="requests per second within the objective against cores")
