"""What the sampler saw of each phase: CPU contention and quota throttling.

:class:`PhaseFigures` is the typed record per phase (``Sampler.phase_figures(phase)``);
``to_details()`` gives its camelCase keys:

- ``cpuContentionShare``: share of the phase's wall time the service spent runnable
  but waiting for a CPU that other processes held (see ``_sched``);
  ``cpuContentionSeconds`` the same in seconds;
- ``throttledShare``: share of the CFS quota's 100 ms periods in which the service
  used up its quota and was stopped (``nr_throttled / nr_periods`` of ``cpu.stat``);
  ``throttledSeconds``: time its run queues spent stopped, summed over CPUs;
  ``throttledPeriods`` and ``periods`` the counts behind the share;
- ``cpuPressureShare``: PSI ``cpu.pressure`` ``some`` over wall time (cgroup v2 only;
  it counts the service's own threads waiting for each other as well).

A figure the machine cannot measure is absent (None), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from servesize.workspace import MeasuredRun

__all__ = ["PhaseFigures"]

_N = TypeVar("_N", int, float)


@dataclass
class PhaseFigures:
    phase: str
    seconds: float = 0.0  # wall time sampled
    cpu_seconds: float = 0.0
    contention_seconds: float | None = None
    periods: int | None = None
    throttled_periods: int | None = None
    throttled_seconds: float | None = None
    pressure_seconds: float | None = None

    @property
    def contention_share(self) -> float | None:
        if self.contention_seconds is None or self.seconds <= 0:
            return None
        return self.contention_seconds / self.seconds

    @property
    def throttled_share(self) -> float | None:
        """Throttled periods over periods; 0 when the quota never had to act."""
        if self.periods is None or self.throttled_periods is None:
            return None
        return self.throttled_periods / self.periods if self.periods else 0.0

    @property
    def pressure_share(self) -> float | None:
        if self.pressure_seconds is None or self.seconds <= 0:
            return None
        return self.pressure_seconds / self.seconds

    def add(
        self,
        seconds: float,
        cpu_seconds: float,
        contention: float | None,
        periods: int | None,
        throttled: int | None,
        throttled_seconds: float | None,
        pressure: float | None,
    ) -> None:
        """Add one sampled interval (None: not measurable in it)."""
        self.seconds += seconds
        self.cpu_seconds += cpu_seconds
        self.contention_seconds = _plus(self.contention_seconds, contention)
        self.periods = _plus(self.periods, periods)
        self.throttled_periods = _plus(self.throttled_periods, throttled)
        self.throttled_seconds = _plus(self.throttled_seconds, throttled_seconds)
        self.pressure_seconds = _plus(self.pressure_seconds, pressure)

    def since(self, earlier: PhaseFigures) -> PhaseFigures:
        """What was added after ``earlier`` (a copy of this phase's figures taken then):
        one run's share of a phase that several runs shared (the trials of a sizing)."""
        return PhaseFigures(
            self.phase,
            self.seconds - earlier.seconds,
            self.cpu_seconds - earlier.cpu_seconds,
            _minus(self.contention_seconds, earlier.contention_seconds),
            _minus(self.periods, earlier.periods),
            _minus(self.throttled_periods, earlier.throttled_periods),
            _minus(self.throttled_seconds, earlier.throttled_seconds),
            _minus(self.pressure_seconds, earlier.pressure_seconds),
        )

    def values(self) -> dict[str, Any]:
        """The figures by their field names in :class:`~servesize.workspace.MeasuredRun`
        (a profile's figures or its confirmation's), rounded as stored."""
        return {
            "cpu_contention_share": _round(self.contention_share, 4),
            "cpu_contention_seconds": _round(self.contention_seconds, 3),
            "throttled_share": _round(self.throttled_share, 4),
            "throttled_seconds": _round(self.throttled_seconds, 3),
            "throttled_periods": self.throttled_periods,
            "periods": self.periods,
            "cpu_pressure_share": _round(self.pressure_share, 4),
        }

    def put_into(self, target: MeasuredRun) -> None:
        """Set the figures on a profile's (or its confirmation's) typed figures."""
        for name, value in self.values().items():
            setattr(target, name, value)

    def to_details(self) -> dict[str, Any]:
        """The camelCase figures of the phase (absent ones left out)."""
        return {MeasuredRun.key(k): v for k, v in self.values().items() if v is not None}


def _plus(total: _N | None, value: _N | None) -> _N | None:
    if value is None:
        return total
    return value if total is None else total + value


def _minus(total: _N | None, earlier: _N | None) -> _N | None:
    if total is None:
        return None
    return total if earlier is None else total - earlier


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
