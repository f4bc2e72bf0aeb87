"""Metrics computed once, at close, from the totals of one or more processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from servesize.load._histogram import Histogram
from servesize.load._recorder import Totals, WindowPart

__all__ = ["LoadResult", "WindowMerger", "build_result"]

#: (key suffix, numerator, denominator) of the reported percentiles.
_PERCENTILES = (("50", 50, 100), ("90", 90, 100), ("95", 95, 100), ("99", 99, 100))
_P999 = ("999", 999, 1000)


def _ms(us: int | float) -> float:
    return round(us / 1000.0, 3)


class WindowMerger:
    """Joins the window parts of ``sources`` processes into one row per second.

    A window is complete when every source has sent its part; rows come out in order
    and the parts are dropped, so memory holds only the windows still in flight.  With
    ``threshold_us``, each row counts its requests slower than that or unanswered
    (``queriesOverThreshold``).
    """

    def __init__(self, sources: int, threshold_us: int | None = None) -> None:
        self.sources = sources
        self.threshold_us = threshold_us
        self.rows: list[dict[str, Any]] = []
        self._pending: dict[int, list[WindowPart]] = {}

    def add(self, part: WindowPart) -> None:
        parts = self._pending.setdefault(part.index, [])
        parts.append(part)
        if len(parts) == self.sources:
            self._emit(part.index)

    def flush(self) -> None:
        """Emit windows some source never closed (it stopped early)."""
        for index in sorted(self._pending):
            self._emit(index)

    def _emit(self, index: int) -> None:
        parts = self._pending.pop(index)
        latency = Histogram.merged(p.latency for p in parts)
        queries = sum(p.queries for p in parts)
        length = max(p.length for p in parts)
        has = latency.total > 0
        row = {
            "t": index,
            "queries": queries,
            "successQueries": sum(p.success for p in parts),
            "measuredQueriesPerSecond": round(queries / length, 3) if length > 0 else 0.0,
            "latencyPercentile50InMs": _ms(latency.percentile(50, 100)) if has else None,
            "latencyPercentile99InMs": _ms(latency.percentile(99, 100)) if has else None,
            "errors": sum(p.errors for p in parts),
        }
        if self.threshold_us is not None:
            row["queriesOverThreshold"] = over_threshold(latency, queries, self.threshold_us)
        self.rows.append(row)
        self.rows.sort(key=lambda row: row["t"])


@dataclass
class LoadResult:
    """What one run measured: ``metrics`` (the shared vocabulary of keys), ``windows``
    (one row a second) and ``latency_histogram`` ((upper bound ms, count), log-spaced).
    """

    metrics: dict[str, Any]
    windows: list[dict[str, Any]] = field(default_factory=list)
    latency_histogram: list[tuple[float, int]] = field(default_factory=list)
    warmup: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the metrics at top level, then warm-up, windows, histogram."""
        return {
            **self.metrics,
            "warmup": dict(self.warmup),
            "windows": [dict(w) for w in self.windows],
            "latencyHistogram": [{"upperMs": u, "count": c} for u, c in self.latency_histogram],
        }


def over_threshold(latency: Histogram, queries: int, threshold_us: int) -> int:
    """Requests slower than ``threshold_us``, plus those without a response (they are not in
    the latency histogram, and none of them answered within the threshold)."""
    return latency.count_above(threshold_us) + (queries - latency.total)


def threshold_us(threshold_ms: float | None) -> int | None:
    """The threshold in the histograms' unit (whole microseconds, as latencies are)."""
    return None if threshold_ms is None else int(threshold_ms * 1000)


def merge_totals(parts: Sequence[Totals]) -> Totals:
    """One :class:`Totals` from several processes' (counts add, histograms merge)."""
    out = Totals()
    for t in parts:
        out.total += t.total
        out.success += t.success
        out.late += t.late
        out.bytes_received += t.bytes_received
        out.warmup_total += t.warmup_total
        out.warmup_success += t.warmup_success
        out.last_done_ns = max(out.last_done_ns, t.last_done_ns)
        out.scheduled += t.scheduled
        if t.backlog is not None:
            out.backlog = (out.backlog or 0) + t.backlog
        for key, n in t.errors_by_status.items():
            out.errors_by_status[key] = out.errors_by_status.get(key, 0) + n
        for key, n in t.errors_by_kind.items():
            out.errors_by_kind[key] = out.errors_by_kind.get(key, 0) + n
    out.latency = Histogram.merged(t.latency for t in parts)
    out.service = Histogram.merged(t.service for t in parts)
    out.first_byte = Histogram.merged(t.first_byte for t in parts)
    return out


def build_result(
    parts: Sequence[Totals],
    windows: list[dict[str, Any]],
    *,
    requested_rate: float | None,
    measure_start_ns: int,
    end_ns: int,
    threshold_ms: float | None = None,
) -> LoadResult:
    """The :class:`LoadResult` of a run whose measurement began at ``measure_start_ns``.

    The duration runs to the last measured completion (or ``end_ns`` when nothing
    completed), so the rate is completions over the time they took.
    """
    t = merge_totals(parts)
    last = t.last_done_ns or end_ns
    duration = max(last - measure_start_ns, 0) / 1e9
    metrics: dict[str, Any] = {
        "totalQueries": t.total,
        "successQueries": t.success,
        "successRate": round(t.success / t.total, 6) if t.total else 0.0,
        "requestedQueriesPerSecond": requested_rate,
        "measuredQueriesPerSecond": round(t.total / duration, 3) if duration > 0 else 0.0,
        "durationSeconds": round(duration, 6),
    }
    metrics.update(_latency_keys(t.latency, "latency", "averageLatencyInMs"))
    metrics["minLatencyInMs"] = _ms(t.latency.min) if t.latency.total else None
    metrics["maxLatencyInMs"] = _ms(t.latency.max) if t.latency.total else None
    metrics.update(_latency_keys(t.service, "serviceTime", "serviceTimeAverageInMs"))
    # From the due time too, so a streamed answer's first chunk is comparable to latency.
    metrics.update(_latency_keys(t.first_byte, "timeToFirstByte", "timeToFirstByteAverageInMs"))
    metrics.update(
        {
            "errorsByStatus": dict(sorted(t.errors_by_status.items())),
            "errorsByKind": dict(sorted(t.errors_by_kind.items())),
            "lateSendShare": round(t.late / t.total, 6) if t.total else 0.0,
            "scheduledQueries": t.scheduled,
            "backlogAtScheduleEnd": t.backlog,
            "bytesReceived": t.bytes_received,
        }
    )
    limit = threshold_us(threshold_ms)
    if limit is not None:
        metrics["latencyThresholdInMs"] = threshold_ms
        metrics["queriesOverThreshold"] = over_threshold(t.latency, t.total, limit)
    warm = {
        "totalQueries": t.warmup_total,
        "successRate": round(t.warmup_success / t.warmup_total, 6) if t.warmup_total else None,
    }
    return LoadResult(metrics, windows, t.latency.log_buckets(), warm)


def _latency_keys(h: Histogram, prefix: str, average_key: str) -> dict[str, float | None]:
    n = h.total
    out: dict[str, float | None] = {average_key: round(h.sum() / n / 1000.0, 3) if n else None}
    for suffix, num, den in (*_PERCENTILES, _P999):
        out[f"{prefix}Percentile{suffix}InMs"] = _ms(h.percentile(num, den)) if n else None
    return out
