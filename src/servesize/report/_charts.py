"""The report's charts: which series of a profile is drawn how."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from servesize.report import _svg
from servesize.report._svg import Axis, Band, Chart, Line, Marker, Point, Rule
from servesize.report._view import ProfileView
from servesize.report._view import as_number as _num

BLUE, ORANGE, GREEN, PURPLE, RED, GREY = (
    "#2563eb",
    "#ea580c",
    "#16a34a",
    "#7c3aed",
    "#dc2626",
    "#64748b",
)
PHASE_COLORS = {
    "coldstart": "#64748b",
    "warmup": "#f59e0b",
    "capacity": "#7c3aed",
    "measurement": "#2563eb",
    "confirmation": "#16a34a",
}

#: A polyline with more points than this is thinned (peaks are kept).
MAX_POINTS = 1200


def points(rows: Sequence[dict[str, Any]], x: str, y: str, scale: float = 1.0) -> list[Point]:
    """``(x, y)`` pairs of the rows where both are numbers."""
    out = []
    for row in rows:
        vx, vy = _num(row.get(x)), _num(row.get(y))
        if vx is not None and vy is not None:
            out.append((vx, vy * scale))
    return out


def thin(pts: list[Point], limit: int = MAX_POINTS) -> list[Point]:
    """At most ``limit`` points: the min and the max of each bucket, in time order.

    Keeping both extremes means a memory spike or CPU burst survives the thinning.
    """
    if len(pts) <= limit:
        return pts
    size = math.ceil(len(pts) / (limit // 2))
    out: list[Point] = []
    for i in range(0, len(pts), size):
        bucket = pts[i : i + size]
        lo, hi = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
    return out


def phase_bands(rows: Sequence[dict[str, Any]]) -> list[Band]:
    """Contiguous runs of the same ``phase`` as shaded bands."""
    bands: list[Band] = []
    start = end = None
    current = None
    for row in rows:
        t, phase = _num(row.get("t")), row.get("phase")
        if t is None:
            continue
        if phase != current:
            if current is not None and start is not None and end is not None:
                bands.append(_band(str(current), start, t))
            current, start = phase, t
        end = t
    if current is not None and start is not None and end is not None:
        bands.append(_band(str(current), start, end))
    return bands


def _band(phase: str, start: float, end: float) -> Band:
    return Band(start, end, phase, PHASE_COLORS.get(phase, GREY))


def capacity(view: ProfileView) -> str:
    rows = sorted(view.rows("capacity"), key=lambda r: _num(r.get("concurrency")) or 0)
    kept = [r for r in rows if _num(r.get("measuredQueriesPerSecond")) is not None]
    labels = [f"c={r.get('concurrency')}" for r in kept]
    chart = Chart(Axis("throughput (queries/s)"), Axis("latency (ms)"))
    chart.lines.append(
        Line(
            "p99",
            points(kept, "measuredQueriesPerSecond", "latencyPercentile99InMs"),
            ORANGE,
            True,
            labels,
        )
    )
    chart.lines.append(
        Line("p50", points(kept, "measuredQueriesPerSecond", "latencyPercentile50InMs"), BLUE, True)
    )
    chosen = _chosen(view, kept)
    if chosen is not None:
        qps = _num(chosen.get("measuredQueriesPerSecond"))
        p99 = _num(chosen.get("latencyPercentile99InMs"))
        if qps is not None and p99 is not None:
            chart.markers.append(Marker(qps, p99, f"sustainable {qps:,.1f} q/s", GREEN))
    mq, mp99 = (
        _num(view.figures.measured_queries_per_second),
        _num(view.figures.latency_percentile99_in_ms),
    )
    if chart.lines[0].points and mq is not None and mp99 is not None:
        chart.markers.append(Marker(mq, mp99, "measurement", PURPLE, "diamond"))
    return _svg.render(chart, aria="latency versus throughput of the capacity search")


def _chosen(view: ProfileView, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The capacity step the profile chose: ``capacityConcurrency``, else the best stable."""
    wanted = view.figures.capacity_concurrency
    for row in rows:
        if wanted is not None and row.get("concurrency") == wanted:
            return row
    stable = [r for r in rows if r.get("stable", True)]
    return max(stable, key=lambda r: _num(r.get("measuredQueriesPerSecond")) or 0, default=None)


def latency_cdf(view: ProfileView) -> str:
    rows = sorted(view.rows("latency_histogram"), key=lambda r: _num(r.get("upperMs")) or 0)
    counts = [(_num(r.get("upperMs")), _num(r.get("count")) or 0.0) for r in rows]
    total = sum(c for _, c in counts)
    cdf: list[Point] = []
    running = 0.0
    for upper, count in counts:
        running += count
        if upper is not None and upper > 0 and total > 0:
            cdf.append((upper, 100 * running / total))
    chart = Chart(
        Axis("latency (ms, log scale)", log=True), Axis("requests at or below (%)"), y_max=100
    )
    chart.lines.append(Line("share of requests", cdf, BLUE))
    for figure, label, color in (
        (view.figures.latency_percentile50_in_ms, "p50", GREEN),
        (view.figures.latency_percentile99_in_ms, "p99", ORANGE),
    ):
        value = _num(figure)
        if cdf and value is not None and value > 0:
            chart.rules.append(Rule(value, f"{label} {value:,.1f} ms", color, axis="x"))
    return _svg.render(chart, aria="cumulative latency distribution")


_OFF_SCALE = 4.0  # a limit more than this many times the highest value is not drawn


def usage_over_time(view: ProfileView, resource: str) -> str:
    """CPU (``resource="cpu"``) or memory over time, with limit and recommendation."""
    samples = view.rows("samples")
    f = view.figures
    if resource == "cpu":
        key, title = "cpu", "CPU (cores)"
        limit_value, rec_value = _num(f.requested_cpu), _num(f.recommended_cpu)
    else:
        key, title = "memoryInGB", "memory (GB)"
        limit_value = _num(f.requested_memory_in_gb)
        rec_value = _num(f.recommended_memory_in_gb)
    used = thin(points(samples, "t", key))
    # A limit far above everything else (the default memory limit is what the machine
    # has free) would squash the usage into a flat line: name it instead of drawing it.
    top = max([p[1] for p in used] + [rec_value or 0.0])
    off_scale = limit_value is not None and top > 0 and limit_value > _OFF_SCALE * top
    if off_scale:
        title = f"{title}; limit {limit_value:,.3g}, off scale"
    chart = Chart(Axis("time since the service started (s)"), Axis(title))
    chart.lines.append(Line("used", used, BLUE, width=1.6))
    chart.bands.extend(phase_bands(samples))
    if limit_value is not None and not off_scale:
        chart.rules.append(Rule(limit_value, "limit", RED))
    if rec_value is not None:
        chart.rules.append(Rule(rec_value, "recommendation", GREEN))
    if resource != "cpu":
        chart.markers.extend(_oom_markers(samples))
    return _svg.render(chart, aria=f"{title} over time")


def cpu_sharing_over_time(view: ProfileView) -> str:
    """Per sample: share of the time spent waiting for CPUs others held, and share of
    the quota's periods that throttled the service (percent)."""
    samples = view.rows("samples")
    chart = Chart(Axis("time since the service started (s)"), Axis("% of the time / periods"))
    chart.lines.append(Line("contention", thin(points(samples, "t", "contention", 100)), RED))
    chart.lines.append(Line("throttled", thin(points(samples, "t", "throttled", 100)), PURPLE))
    chart.bands.extend(phase_bands(samples))
    return _svg.render(chart, aria="CPU contention and throttling over time")


def _oom_markers(samples: Sequence[dict[str, Any]]) -> list[Marker]:
    out, seen = [], 0.0
    for row in samples:
        kills, t, mem = _num(row.get("oomKills")), _num(row.get("t")), _num(row.get("memoryInGB"))
        if kills is not None and kills > seen and t is not None:
            out.append(Marker(t, mem or 0.0, "OOM kill", RED, "diamond"))
            seen = kills
    return out


def window_throughput(view: ProfileView) -> str:
    windows = view.rows("windows")
    chart = Chart(Axis("time (s)"), Axis("queries per second"))
    chart.lines.append(Line("measured", points(windows, "t", "measuredQueriesPerSecond"), BLUE))
    chart.bands.extend(phase_bands(windows))
    target = _num(view.figures.requested_queries_per_second)
    if target is not None:
        chart.rules.append(Rule(target, "requested rate", GREY))
    return _svg.render(chart, aria="throughput per second")


def window_latency(view: ProfileView) -> str:
    windows = view.rows("windows")
    chart = Chart(Axis("time (s)"), Axis("latency (ms)"))
    chart.lines.append(Line("p99", points(windows, "t", "latencyPercentile99InMs"), ORANGE))
    chart.lines.append(Line("p50", points(windows, "t", "latencyPercentile50InMs"), BLUE))
    chart.bands.extend(phase_bands(windows))
    return _svg.render(chart, aria="latency per second")


def errors(view: ProfileView) -> str:
    items: list[tuple[str, float]] = []
    for counts, prefix in (
        (view.figures.errors_by_status, "HTTP "),
        (view.figures.errors_by_kind, ""),
    ):
        if isinstance(counts, dict):
            items += [(f"{prefix}{name}", _num(n) or 0.0) for name, n in counts.items()]
    items.sort(key=lambda item: -item[1])
    return _svg.bars(items, RED, aria="errors by status and kind")
