"""CPU placement: which CPUs the service gets and which the load generator keeps.

The generator must never steal the service's CPU time (it would inflate latency and
hide CPU use), so on a machine with at least two usable CPUs they are split; on one
CPU they share it and the plan says so.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

from servesize.errors import InvalidInputError
from servesize.profiling.settings import check_limit_values

__all__ = ["CpuPlan", "format_cpu_list", "parse_cpu_list", "plan_cpus"]


@dataclass(frozen=True)
class CpuPlan:
    """The CPUs of the service and of the load generator.

    ``shared`` is True when there was a single usable CPU, so both run on it.
    """

    service: tuple[int, ...]
    generator: tuple[int, ...]
    shared: bool

    @property
    def note(self) -> str:
        """One sentence for the profile's details."""
        if self.shared:
            return f"1 usable CPU ({format_cpu_list(self.service)}): service and generator share it"
        return (
            f"service on CPU {format_cpu_list(self.service)}, "
            f"generator on CPU {format_cpu_list(self.generator)}"
        )


def plan_cpus(cpu_cores: float | None, available: Iterable[int] | None = None) -> CpuPlan:
    """Split the usable CPUs: ``ceil(cpu_cores)`` (at least 1) for the service, the rest
    (at least 1) for the generator; ``cpu_cores=None`` gives the service all but one.

    >>> plan_cpus(0.5, available={0, 1, 2, 3})
    CpuPlan(service=(3,), generator=(0, 1, 2), shared=False)
    """
    cpus = sorted(set(os.sched_getaffinity(0) if available is None else available))
    if not cpus:
        raise InvalidInputError("no usable CPU to plan on")
    check_limit_values(cpu_cores, None)
    if len(cpus) < 2:
        return CpuPlan(service=tuple(cpus), generator=tuple(cpus), shared=True)
    wanted = len(cpus) - 1 if cpu_cores is None else max(1, math.ceil(cpu_cores))
    count = min(wanted, len(cpus) - 1)
    # The service takes the highest-numbered CPUs: CPU 0 usually serves more interrupts.
    return CpuPlan(service=tuple(cpus[-count:]), generator=tuple(cpus[:-count]), shared=False)


def format_cpu_list(cpus: Iterable[int]) -> str:
    """``(0, 1, 2, 5)`` -> ``"0-2,5"``, the kernel's cpu-list syntax."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def parse_cpu_list(text: str) -> tuple[int, ...]:
    """``"0-2,5\\n"`` -> ``(0, 1, 2, 5)``; an empty list gives ``()``."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return tuple(sorted(cpus))
