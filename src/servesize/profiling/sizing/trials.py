"""What the search tries and what it learns: allocations, trials, the outcome."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from servesize.profiling.sizing.decision import Decision

__all__ = ["Allocation", "Measure", "Outcome", "Trial", "allocation_for", "grid"]


@dataclass(frozen=True)
class Allocation:
    cores: float
    workers: int
    threads: int

    @property
    def label(self) -> str:
        return f"{self.cores:g} cores, {self.workers} worker(s), {self.threads} thread(s)"


def allocation_for(cores: float, workers: int | None = None) -> Allocation:
    """A worker per core above one core (Python's GIL), BLAS threads = ceil(cores)."""
    whole = max(1, math.ceil(round(cores, 6)))
    return Allocation(round(cores, 6), workers or whole, whole)


def grid(bound: float, step: float, minimum: float) -> list[float]:
    """Candidate cores: multiples of ``step`` from ``minimum`` up to the bound (included)."""
    values = []
    k = max(step, math.ceil(round(minimum / step, 6)) * step)
    while k < bound - 1e-9:
        values.append(round(k, 6))
        k += step
    values.append(round(bound, 6))
    return values


@dataclass(frozen=True)
class Trial:
    """One measured open-loop run (or, with ``source="predicted"``, a model's guess).

    ``met``: the run was decided to meet the objective (``decision``), the service kept
    up and answered as well as one request at a time, and the run could be trusted.
    """

    allocation: Allocation
    rate: float
    value_ms: float | None  # the objective's percentile (nearest rank), for the record
    met: bool
    metrics: dict[str, Any] = field(default_factory=dict)
    utilized_cpu: float | None = None
    throttled_share: float | None = None
    peak_memory_gb: float | None = None
    source: str = "measured"
    phase: str = "sizing"
    decision: Decision | None = None
    #: the service could not keep up (the verdict's backlog rule): the next trial runs in
    #: a fresh service, and the completions it managed bound its capacity
    fell_behind: bool = False
    #: why the run could not be trusted (busy machine, late generator), after one repeat
    untrusted: tuple[str, ...] = ()
    #: why this run is a repeat: what was wrong with the first (servesize.profiling
    #: .sizing.phase, ``judged``)
    remeasured: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        """``met``, ``missed``, ``undecided`` (the decision), or ``untrusted``."""
        if self.untrusted:
            return "untrusted"
        if self.met:
            return "met"
        if self.decision is None or self.decision.outcome == "met":
            return "missed"  # met on latency, failed on errors or backlog
        return self.decision.outcome

    @property
    def completed_rate(self) -> float:
        """Requests/s the service completed (its capacity, when it fell behind)."""
        return float(self.metrics.get("measuredQueriesPerSecond") or 0.0)

    def to_row(self) -> dict[str, Any]:
        m = self.metrics
        row = {
            "cpu": self.allocation.cores,
            "workers": self.allocation.workers,
            "threads": self.allocation.threads,
            "queriesPerSecond": round(self.rate, 3),
            "measuredQueriesPerSecond": m.get("measuredQueriesPerSecond"),
            "latencyPercentile50InMs": m.get("latencyPercentile50InMs"),
            "latencyPercentile90InMs": m.get("latencyPercentile90InMs"),
            "latencyPercentile99InMs": m.get("latencyPercentile99InMs"),
            "objectiveLatencyInMs": None if self.value_ms is None else round(self.value_ms, 3),
            "sloMet": self.met,
            "outcome": self.outcome,
            "utilizedCpu": self.utilized_cpu,
            "throttledShare": self.throttled_share,
            "peakMemoryInGB": self.peak_memory_gb,
            "durationSeconds": m.get("durationSeconds"),
            "machineSlowdown": m.get("machineSlowdown"),
            "machineSlowdowns": m.get("machineSlowdowns"),
            "maxQueriesPerSecondWithinSlo": m.get("maxQueriesPerSecondWithinSlo"),
            "source": self.source,
            "phase": self.phase,
        }
        if self.decision is not None:
            row.update(self.decision.to_dict())
        if self.fell_behind:
            row["fellBehind"] = True
        if self.untrusted:
            row["untrusted"] = list(self.untrusted)
        if self.remeasured:
            row["remeasured"] = list(self.remeasured)
        return row


@dataclass
class Outcome:
    """What the search found; ``allocation`` None: nothing within the bound met it."""

    allocation: Allocation | None
    replicas: int = 1
    rate_per_replica: float = 0.0
    max_rate_within: float | None = None
    trials: list[Trial] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def best(self) -> Trial | None:
        """The measured trial with the lowest objective percentile."""
        measured = [t for t in self.trials if t.value_ms is not None and t.source == "measured"]
        return min(measured, key=lambda t: t.value_ms or math.inf, default=None)


#: ``measure(allocation, rate)``: one decided (or capped) open-loop trial
Measure = Callable[[Allocation, float], Trial]
