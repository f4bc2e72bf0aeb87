"""What a profile measured, per worker: the unit every SKU is filled with.

The sizing answers per replica: ``recommendedCpu`` cores and ``recommendedMemoryInGB``
with ``recommendedWorkers`` workers carry ``maxQueriesPerSecondWithinSlo`` within the
objective.  An Azure instance runs one server with WORKER_COUNT workers, so the unit is
one worker: the replica's cores, memory and rate divided by its workers.  Memory per
worker so counts the scoring host once per worker, which errs on the safe side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from servesize.workspace import Figures

__all__ = ["Unit", "measured_unit"]

#: cores are compared to this precision (the sizing steps by 0.1 core)
_CPU_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Unit:
    """One worker of the measured allocation and what it carries."""

    cpu: float
    memory_in_gb: float
    #: requests/s one worker carries within the objective; None: the objective was
    #: not met by any allocation measured
    queries_per_second: float | None
    #: workers and threads of the measured replica
    replica_workers: int
    threads: int | None
    objective: str | None
    #: the rate to size for (the profile's ``requestedQueriesPerSecond``)
    target_queries_per_second: float | None
    #: the most workers of this allocation a measured trial ran within the objective
    #: at this rate per worker (0: none did)
    measured_workers: int
    #: how many workers of this allocation this machine could run for the service
    machine_workers: int
    cpu_model: str | None
    machine_cpus: int | None
    #: how the rate per worker was obtained, for the reports
    rate_note: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def measured_unit(figures: Figures) -> Unit | None:
    """The unit of a profile with a recommendation; None without one."""
    cpu, memory = _number(figures.recommended_cpu), _number(figures.recommended_memory_in_gb)
    if not cpu or not memory:
        return None
    workers = figures.recommended_workers or figures.workers or 1
    workers = max(1, int(workers))
    rate, note = _replica_rate(figures)
    per_worker = None if rate is None else rate / workers
    machine = figures.machine
    cpus = len(figures.service_cpus or []) or (machine.usable_cpus if machine else None)
    unit_cpu = cpu / workers
    return Unit(
        cpu=unit_cpu,
        memory_in_gb=memory / workers,
        queries_per_second=per_worker,
        replica_workers=workers,
        threads=figures.recommended_threads,
        objective=figures.latency_objective,
        target_queries_per_second=_number(figures.requested_queries_per_second),
        measured_workers=_measured_workers(figures.sizing or [], unit_cpu, per_worker),
        machine_workers=int((cpus or 0) / unit_cpu + 1e-9) if cpus else 0,
        cpu_model=machine.cpu_model if machine else None,
        machine_cpus=cpus,
        rate_note=note,
    )


def _replica_rate(figures: Figures) -> tuple[float | None, str]:
    """Requests/s one replica carries, and where that number comes from."""
    within = _number(figures.max_queries_per_second_within_slo)
    if figures.latency_objective:
        if figures.slo_met is False or not within:
            return None, f"no allocation measured met {figures.latency_objective}"
        unsure = "" if figures.slo_met else "; the confirmation left the objective undecided"
        return within, (
            f"{within:g} requests/s a replica within {figures.latency_objective} "
            f"(maxQueriesPerSecondWithinSlo{unsure})"
        )
    # no objective (a profile sized before objectives, or sizing off): the rate the
    # recommendation was measured at, per replica
    rate = _number(figures.requested_queries_per_second)
    replicas = figures.recommended_replicas or 1
    if not rate:
        return None, "the profile has no latency objective and no measured rate"
    return rate / replicas, (
        f"{rate / replicas:g} requests/s a replica: no latency objective, the rate the "
        "recommendation was measured at"
    )


def _measured_workers(rows: list[dict[str, Any]], cpu: float, rate: float | None) -> int:
    """The most workers a measured trial ran at ``cpu`` cores each within the objective
    and at least ``rate`` requests/s each (the evidence that workers add up)."""
    best = 0
    for row in rows:
        if not isinstance(row, dict) or row.get("source", "measured") != "measured":
            continue
        workers, cores = row.get("workers"), _number(row.get("cpu"))
        if not isinstance(workers, int) or workers < 1 or cores is None:
            continue
        if row.get("sloMet") is not True:
            continue
        if abs(cores / workers - cpu) > _CPU_TOLERANCE:
            continue
        per_worker = _number(row.get("queriesPerSecond"))
        if rate is not None and (per_worker is None or per_worker / workers < rate * (1 - 1e-6)):
            continue
        best = max(best, workers)
    return best
