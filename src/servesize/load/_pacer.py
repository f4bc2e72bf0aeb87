"""Open-loop schedules: when each request is due, in integer nanoseconds.

A pacer only answers "when is the next request due?" (:data:`END` once a given
schedule is spent); the engine decides what to do when it cannot keep up.  Times are
computed from the start, never by adding rounded gaps to the previous send, so a late
send does not push the schedule back (the definition of an open loop).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from servesize.load._spec import Arrival

__all__ = ["END", "Pacer", "SchedulePacer", "make_pacer"]

#: The due time a spent schedule answers: later than any run's end.
END = 2**62
_BATCH = 4096  # exponential gaps drawn at once: one numpy call per 4,096 requests


class Pacer:
    """The schedule of a constant-rate open loop: ``start + offset + k / rate``."""

    def __init__(self, start_ns: int, rate: float, offset_ns: int = 0) -> None:
        self._start = start_ns + offset_ns
        self._rate = rate
        self._k = 0

    @property
    def rate(self) -> float:
        """Requests per second (on average, for Poisson)."""
        return self._rate

    def next_due(self) -> int:
        """The due time of the next request (ns on the monotonic clock)."""
        due = self._start + int(self._k * 1e9 / self._rate)
        self._k += 1
        return due


class PoissonPacer(Pacer):
    """A Poisson process: exponential gaps of mean ``1 / rate``, from a seeded generator."""

    def __init__(self, start_ns: int, rate: float, seed: int | None) -> None:
        super().__init__(start_ns, rate)
        self._rng = np.random.default_rng(seed)
        self._elapsed = 0.0  # seconds since start of the last due time, kept in float
        self._due: list[int] = []
        self._i = 0

    def next_due(self) -> int:
        if self._i == len(self._due):
            gaps = self._rng.exponential(1.0 / self._rate, _BATCH)
            times = self._elapsed + np.cumsum(gaps)
            self._elapsed = float(times[-1])
            self._due = (self._start + (times * 1e9).astype(np.int64)).tolist()
            self._i = 0
        due = self._due[self._i]
        self._i += 1
        return due


class SchedulePacer(Pacer):
    """Given send times: ``start + offset`` for each offset (seconds, sorted), then END."""

    def __init__(self, start_ns: int, offsets: Sequence[float] | NDArray[np.float64]) -> None:
        times = np.asarray(offsets, dtype=np.float64)
        span = float(times[-1]) if times.size else 0.0
        super().__init__(start_ns, times.size / span if span > 0 else float(times.size))
        self._due = (start_ns + np.round(times * 1e9).astype(np.int64)).tolist()
        self._due.append(END)
        self._i = 0

    def next_due(self) -> int:
        due: int = self._due[self._i]
        if due != END:
            self._i += 1
        return due


def make_pacer(
    arrival: Arrival, start_ns: int, rate: float, *, seed: int | None, offset_ns: int = 0
) -> Pacer:
    """The pacer for ``arrival``; ``offset_ns`` staggers constant schedules of processes."""
    if arrival == "constant":
        return Pacer(start_ns, rate, offset_ns)
    return PoissonPacer(start_ns, rate, seed)
