"""The fleet over the trace, second by second, under an autoscaler.

Each second: the pods whose cold start has ended are ready and share the second's
arrivals evenly (a load balancer's random split gives each the same Poisson rate; the
queueing model adds that randomness); each ready pod burns ``rate x CPU per query``,
at most its limit.  At every sync period the autoscaler reads its metric of the
seconds before (:mod:`servesize.planning.scalers`) and sets the replica count; new
pods are ready ``pod_start_seconds + cold start`` later, removed ones go at once,
not-ready ones first (a ReplicaSet deletes those before ready ones).

A second's latency is the replica's predicted distribution at its per-replica rate
(averaged over ``rate_window`` seconds); a fleet that cannot keep up (arrivals over
the ready pods' capacity) builds a backlog, and every second with a backlog counts
as missing the objective, as does a second with no ready pod.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from servesize.planning.rates import FloatArray, moving_mean, window_sums
from servesize.planning.replica import LatencyTable, percentile_of
from servesize.planning.settings import PlanSettings

__all__ = ["Fleet", "Pod", "Scaler", "Simulation", "simulate"]


@dataclass
class Pod:
    created: float
    ready_at: float


@dataclass
class Fleet:
    """What a scaler may read at a sync: the pods and the seconds simulated so far."""

    pods: list[Pod]
    counts: FloatArray
    #: CPU used over the request by each ready pod, per second (0 with no ready pod)
    utilization: FloatArray
    ready: FloatArray


class Scaler(Protocol):
    """An autoscaler: its first replica count, and its decision at each sync."""

    min_replicas: int
    max_replicas: int

    def initial(self, counts: FloatArray) -> int: ...

    def decide(self, now: int, fleet: Fleet) -> tuple[int, dict[str, Any]]:
        """The replica count at ``now`` and what it read (timeline columns)."""
        ...


@dataclass
class Simulation:
    """Per-second outcome of one simulated run over the trace."""

    table: LatencyTable
    settings: PlanSettings
    counts: FloatArray
    replicas: FloatArray
    ready: FloatArray
    per_replica: FloatArray
    within: FloatArray
    saturated: np.ndarray
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def requests(self) -> float:
        return float(self.counts.sum())

    @property
    def replica_hours(self) -> float:
        return float(self.replicas.sum()) / 3600.0

    @property
    def attainment(self) -> float:
        total = self.requests
        return float(self.counts @ self.within) / total if total else 1.0

    def _distribution(self, seconds: slice) -> FloatArray:
        rows = self.table.distribution(self.per_replica[seconds])
        rows[self.saturated[seconds]] = 0.0
        return rows

    def percentile_ms(self, seconds: slice) -> float:
        """The objective's percentile over the requests of ``seconds`` (inf: beyond
        the model's range or the planned limit, a backlog or no ready pod; nan: no
        request)."""
        weight = self.counts[seconds]
        total = float(weight.sum())
        if total <= 0:
            return math.nan
        cdf = weight @ self._distribution(seconds) / total
        return percentile_of(cdf, self.table.thresholds, self.table.percentile)

    def minutes(self) -> list[dict[str, Any]]:
        """Per minute with requests: ``t``, ``requests``, percentile, share within."""
        out = []
        for start in range(0, self.counts.size, 60):
            part = slice(start, min(start + 60, self.counts.size))
            requests = float(self.counts[part].sum())
            if requests <= 0:
                continue
            share = float(self.counts[part] @ self.within[part]) / requests
            out.append(
                {
                    "t": start,
                    "requests": round(requests),
                    "predictedPercentileMs": _ms(self.percentile_ms(part)),
                    "attainment": round(share, 5),
                }
            )
        return out

    def confirmation_window(self) -> slice:
        """The seconds a confirmation replays: ``confirm_seconds`` of them (at most the
        trace's) carrying the most requests per ready replica."""
        seconds = int(min(self.settings.confirm_seconds, self.counts.size))
        start = self.hardest_window(seconds)
        return slice(start, start + seconds)

    def hardest_window(self, seconds: int) -> int:
        """Start of the window of ``seconds`` carrying the most requests per ready
        replica (a window without any ready pod counts every request)."""
        load = self.counts / np.maximum(self.ready, 1.0)
        sums = window_sums(load, seconds)
        return int(np.argmax(sums))


def _ms(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def simulate(
    scaler: Scaler,
    counts: FloatArray,
    table: LatencyTable,
    settings: PlanSettings,
    *,
    timeline: bool = False,
) -> Simulation:
    """Run ``scaler`` over the per-second ``counts``; ``timeline`` fills one row per
    sync period (slower: a percentile per row)."""
    replica = table.replica
    n = counts.size
    start_delay = settings.pod_start_seconds + replica.cold_start_seconds
    sync = max(1, round(settings.sync_period))
    pods = [Pod(-math.inf, -math.inf) for _ in range(scaler.initial(counts))]
    fleet = Fleet(pods, counts, np.zeros(n), np.zeros(n))
    replicas, ready = np.zeros(n), np.zeros(n)
    smooth = moving_mean(counts, max(1, round(settings.rate_window)))
    per_replica = np.zeros(n)
    saturated = np.zeros(n, dtype=bool)
    capacity = replica.capacity
    backlog = 0.0
    reads: list[tuple[int, int, dict[str, Any]]] = []
    pending: list[float] = []  # ready times of pods still starting, sorted
    up = len(fleet.pods)
    for s in range(n):
        if s % sync == 0:
            desired, read = scaler.decide(s, fleet)
            _resize(fleet.pods, desired, s, start_delay)
            reads.append((s, desired, read))
            pending = sorted(p.ready_at for p in fleet.pods if p.ready_at > s)
            up = len(fleet.pods) - len(pending)
        while pending and pending[0] <= s:
            pending.pop(0)
            up += 1
        replicas[s], ready[s] = len(fleet.pods), up
        fleet.ready[s] = up
        if up == 0:
            saturated[s] = counts[s] > 0
            backlog = 0.0  # requests with no pod to go to fail at once
            continue
        fleet.utilization[s] = replica.utilization_at(float(counts[s]) / up)
        per_replica[s] = smooth[s] / up
        backlog = max(0.0, backlog + counts[s] - capacity * up)
        saturated[s] = backlog > 0
    within = table.within(per_replica)
    within[saturated] = 0.0
    sim = Simulation(table, settings, counts, replicas, ready, per_replica, within, saturated)
    if timeline:
        for s, desired, read in reads:
            part = slice(s, min(s + sync, n))
            sim.rows.append(
                {
                    "t": s,
                    "rate": round(float(counts[part].mean()), 3),
                    **read,
                    "desiredReplicas": desired,
                    "readyReplicas": int(ready[s]),
                    "predictedPercentileMs": _ms(sim.percentile_ms(part)),
                }
            )
    return sim


def _resize(pods: list[Pod], desired: int, now: int, start_delay: float) -> None:
    """Add pods (ready after their start) or remove the newest not-ready ones first,
    then the newest ready ones."""
    while len(pods) < desired:
        pods.append(Pod(now, now + start_delay))
    if len(pods) > desired:
        pods.sort(key=lambda p: (p.ready_at <= now, -p.created))
        del pods[: len(pods) - desired]
