"""The recommendation: a pure function of what was measured (the verdict: ``verdict``).

CPU follows Kubernetes VPA's target (a high percentile of per-second use) and memory
the peak working set, each times a safety margin; an OOM kill bumps memory the way
VPA does (max(limit x 1.2, limit + 100 MiB)).  See docs/profiling.md, step 8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from servesize.profiling.settings import GIB, MIB, ProfileSettings

__all__ = [
    "Recommendation",
    "after_oom_gb",
    "recommend",
    "round_up",
]


@dataclass(frozen=True)
class Recommendation:
    cpu: float
    memory_gb: float
    cpu_basis: float
    memory_basis_gb: float


def round_up(value: float, step: float) -> float:
    """Round up to a multiple of ``step``, forgiving float noise (0.30000000004 -> 0.3)."""
    steps = math.ceil(round(value / step, 6))
    return round(steps * step, 6)


def recommend(
    cpu_per_second: Sequence[float],
    peak_memory_bytes: float,
    settings: ProfileSettings,
) -> Recommendation:
    """CPU from the per-second use of the measurement, memory from the profile's peak."""
    if cpu_per_second:
        basis = float(np.percentile(np.asarray(cpu_per_second), settings.cpu_percentile))
    else:
        basis = 0.0
    margin = 1.0 + settings.safety_margin
    cpu = max(settings.min_cpu, round_up(basis * margin, settings.cpu_step))
    mem_basis = peak_memory_bytes / GIB
    memory = max(settings.min_memory_gb, round_up(mem_basis * margin, settings.memory_step_gb))
    return Recommendation(cpu=cpu, memory_gb=memory, cpu_basis=basis, memory_basis_gb=mem_basis)


def after_oom_gb(limit_bytes: float, settings: ProfileSettings) -> float:
    """Memory to recommend after an OOM kill under ``limit_bytes``."""
    bumped = max(limit_bytes * 1.2, limit_bytes + 100 * MIB)
    return round_up(bumped / GIB, settings.memory_step_gb)
