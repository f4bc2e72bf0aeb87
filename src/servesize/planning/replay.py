"""The plan's prediction on the trace's own arrival times, request by request.

The search (:mod:`servesize.planning.choose`) reads each second's latency from the
replica's table, built from Poisson arrivals at the second's rate averaged over
``rate_window`` seconds: fast, but blind to bursts shorter than that window.  A trace
whose requests come in clumps of a few hundred milliseconds queues far more than a
Poisson stream of the same rate (bench/RESULTS-plan.md: 169 ms measured against 34.5 ms
predicted so).  Here the chosen plan is checked the way it will run: every arrival of
the trace goes to one of the pods ready in its second, at random (a load balancer's
random split; pods are numbered in the order they became ready, and the newest go
first, as the fleet removes them), and each pod's queue is the profile's model
(:meth:`~servesize.profiling.queueing.ServiceModel.latencies_at`) fed exactly those
arrival times, with the model's overhead and the replica's tail factor, as the table
has them.  A request arriving when no pod is ready counts as over the limit.

The same function predicts a confirmation: the requests replayed on each real replica,
through that replica's model queue (:func:`replica_latencies_ms`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from servesize.planning.rates import FloatArray
from servesize.planning.replica import Replica

__all__ = ["TraceCheck", "check_on_trace", "replica_latencies_ms"]


def replica_latencies_ms(replica: Replica, offsets: npt.ArrayLike, seed: int) -> FloatArray:
    """Predicted latency (ms) of each request one replica gets at ``offsets`` (s, sorted)."""
    model = replica.model
    times = np.asarray(offsets, dtype=np.float64)
    seconds = model.latencies_at(times, replica.cores, replica.workers, seed)
    out: FloatArray = (seconds * 1000.0 + model.overhead_ms) * replica.tail
    return out


@dataclass
class TraceCheck:
    """Each arrival's predicted latency (ms; inf with no ready pod) and its second, in
    the order of arrival (so ``second`` is sorted)."""

    latency_ms: FloatArray
    second: np.ndarray
    limit_ms: float
    percentile: float

    @property
    def attainment(self) -> float:
        """Share of the trace's requests predicted within the objective's limit."""
        if self.latency_ms.size == 0:
            return 1.0
        return float(np.mean(self.latency_ms <= self.limit_ms))

    def _span(self, start: int, seconds: int) -> slice:
        """The arrivals of ``seconds`` from ``start`` (``second`` is sorted: a slice)."""
        low, high = np.searchsorted(self.second, (start, start + seconds), side="left")
        return slice(int(low), int(high))

    def percentile_ms(self, start: int, seconds: int) -> float:
        """The objective's percentile over the arrivals of ``seconds`` from ``start``
        (nan: none; inf: beyond any answer)."""
        part = self.latency_ms[self._span(start, seconds)]
        return self._percentile_of(part) if part.size else math.nan

    def _percentile_of(self, part: FloatArray) -> float:
        return float(np.percentile(part, self.percentile, method="inverted_cdf"))

    @functools.cached_property
    def _minutes(self) -> list[tuple[int, int, float]]:
        out = []
        last = int(self.second[-1]) if self.second.size else -1
        for start in range(0, last + 1, 60):
            part = self.latency_ms[self._span(start, 60)]
            if part.size:
                out.append((start, int(part.size), self._percentile_of(part)))
        return out

    def minutes(self) -> list[tuple[int, int, float]]:
        """Per minute with requests: its start, its requests and its percentile."""
        return self._minutes

    def minutes_share(self) -> float:
        """Share of the minutes with requests whose percentile meets the objective."""
        minutes = self.minutes()
        if not minutes:
            return 1.0
        return sum(1 for _, _, p in minutes if p <= self.limit_ms) / len(minutes)

    def worst_minute(self) -> dict[str, float | int | None] | None:
        minutes = self.minutes()
        if not minutes:
            return None
        start, count, value = max(minutes, key=lambda m: m[2])
        return {
            "t": start,
            "requests": count,
            "predictedPercentileMs": round(value, 3) if math.isfinite(value) else None,
        }


def check_on_trace(
    replica: Replica, arrivals: npt.ArrayLike, ready: FloatArray, seed: int
) -> TraceCheck:
    """Deal ``arrivals`` (s from the trace's start) to the pods ``ready`` in each second
    and run each pod's model queue on its own arrivals."""
    times = np.sort(np.asarray(arrivals, dtype=np.float64))
    second = np.minimum(times.astype(np.int64), max(ready.size - 1, 0))
    pods = np.asarray(ready, dtype=np.int64)[second] if ready.size else np.zeros_like(second)
    rng = np.random.default_rng(seed)
    owner = np.floor(rng.random(times.size) * np.maximum(pods, 1)).astype(np.int64)
    owner[pods <= 0] = -1
    latency = np.full(times.size, math.inf)
    for pod in range(int(pods.max()) if pods.size else 0):
        mine = np.nonzero(owner == pod)[0]
        if mine.size:
            latency[mine] = replica_latencies_ms(replica, times[mine], seed + pod)
    objective = replica.objective
    return TraceCheck(latency, second, objective.limit_ms, float(objective.percentile))
