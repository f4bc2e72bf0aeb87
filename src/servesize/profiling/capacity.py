"""Capacity search: closed-loop concurrency 1, 2, 4, ... until throughput stops growing.

Like Triton's perf_analyzer a step counts only when its last windows agree
(throughput within a tolerance), and the search stops after two steps in a row
that gain less than ``min_gain``, after one such step that used the whole CPU quota
(at least ``1 - min_gain`` of it: more concurrency cannot add throughput that the
quota does not leave room for), or as soon as errors appear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servesize.profiling.settings import ProfileSettings

__all__ = ["CapacityResult", "CapacityStep", "error_counts", "is_stable", "search"]


@dataclass(frozen=True)
class CapacityStep:
    concurrency: int
    qps: float
    p50_ms: float | None
    p99_ms: float | None
    success_rate: float
    stable: bool
    total_queries: int
    #: the share of the enforced CPU quota the step used (None where not measured)
    quota_share: float | None = None

    def to_row(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "measuredQueriesPerSecond": self.qps,
            "latencyPercentile50InMs": self.p50_ms,
            "latencyPercentile99InMs": self.p99_ms,
            "successRate": self.success_rate,
            "stable": self.stable,
            "totalQueries": self.total_queries,
            "quotaShareUsed": self.quota_share,
        }


@dataclass(frozen=True)
class CapacityResult:
    steps: tuple[CapacityStep, ...]
    best: CapacityStep | None
    stop_reason: str

    @property
    def sustainable_qps(self) -> float:
        return self.best.qps if self.best else 0.0

    @property
    def stable(self) -> bool:
        return self.best is not None and self.best.stable


_ERROR_SLACK = 0.01


def _full(window: Mapping[str, Any]) -> bool:
    """False for the ragged last window of a run (a fraction of a second long)."""
    rate = float(window.get("measuredQueriesPerSecond") or 0.0)
    queries = float(window.get("queries") or 0.0)
    return rate <= 0 or queries <= 0 or queries / rate >= 0.9


def is_stable(windows: Sequence[Mapping[str, Any]], count: int, tolerance: float) -> bool:
    """True when the last ``count`` windows' throughput lie within ``tolerance`` of their mean."""
    rates = [float(w.get("measuredQueriesPerSecond") or 0.0) for w in windows if _full(w)]
    if len(rates) < count:
        return False
    tail = rates[-count:]
    mean = sum(tail) / count
    return mean > 0 and all(abs(r - mean) <= tolerance * mean for r in tail)


def error_counts(metrics: Mapping[str, Any]) -> dict[str, int]:
    """A run's failed requests by kind (timeouts, refused, ...) and by HTTP status."""
    by_status = metrics.get("errorsByStatus") or {}
    return {**(metrics.get("errorsByKind") or {}), **{f"HTTP {k}": v for k, v in by_status.items()}}


def _step(concurrency: int, metrics: Mapping[str, Any], stable: bool) -> CapacityStep:
    return CapacityStep(
        concurrency=concurrency,
        qps=float(metrics.get("measuredQueriesPerSecond") or 0.0),
        p50_ms=metrics.get("latencyPercentile50InMs"),
        p99_ms=metrics.get("latencyPercentile99InMs"),
        success_rate=float(metrics.get("successRate") or 0.0),
        stable=stable,
        total_queries=int(metrics.get("totalQueries") or 0),
        quota_share=metrics.get("quotaShareUsed"),
    )


def search(
    run_step: Callable[[int], tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
    settings: ProfileSettings,
    should_stop: Callable[[], bool] = lambda: False,
) -> CapacityResult:
    """Run steps through ``run_step(concurrency) -> (metrics, windows)`` and pick the best.

    The best step is the highest-throughput step that was stable and error-free;
    when none was stable, the highest error-free one (the verdict then says so).
    """
    steps: list[CapacityStep] = []
    # Errors the script returns at concurrency 1 (a row it rejects) are the baseline;
    # only errors beyond them mean the service is overloaded.
    baseline: float | None = None
    flat_steps = 0
    reason = f"reached the maximum concurrency {settings.max_concurrency}"
    concurrency = 1
    while concurrency <= settings.max_concurrency:
        metrics, windows = run_step(concurrency)
        if should_stop():
            reason = "stopped"
            break
        stable = is_stable(windows, settings.stable_windows, settings.stable_tolerance)
        step = _step(concurrency, metrics, stable)
        steps.append(step)
        if baseline is None:
            baseline = step.success_rate
            if baseline <= 0.0:
                reason = "no request succeeded at concurrency 1"
                break
        elif step.success_rate < baseline - _ERROR_SLACK:
            reason = f"errors appeared at concurrency {concurrency}"
            break
        previous = max((s.qps for s in steps[:-1]), default=0.0)
        if previous > 0 and step.qps < previous * (1.0 + settings.min_gain):
            flat_steps += 1
            used = step.quota_share or 0.0
            if used >= 1.0 - settings.min_gain:
                reason = (
                    f"throughput gained less than {settings.min_gain:.0%} with the CPU "
                    f"quota used up ({used:.0%} of it, at concurrency {concurrency})"
                )
                break
            if flat_steps >= 2:
                reason = (
                    f"throughput gained less than {settings.min_gain:.0%} twice in a row "
                    f"(at concurrency {concurrency})"
                )
                break
        else:
            flat_steps = 0
        concurrency *= 2
    floor = (baseline or 0.0) - _ERROR_SLACK
    clean = [s for s in steps if s.success_rate >= floor and s.success_rate > 0 and s.qps > 0]
    stable_clean = [s for s in clean if s.stable]
    pool = stable_clean or clean
    best = max(pool, key=lambda s: s.qps) if pool else None
    return CapacityResult(steps=tuple(steps), best=best, stop_reason=reason)
