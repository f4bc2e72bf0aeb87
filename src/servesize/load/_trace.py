"""A traffic trace: arrival times in seconds, what they add up to, cuts and splits of them.

:func:`read_trace` (in ``_trace_read``) makes a :class:`Trace` from a file; the profiler
plans replicas from its :meth:`Trace.summary` and replays :meth:`Trace.window` cuts of
it, :func:`split` among replicas the way a load balancer's random choice would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from servesize.errors import InvalidInputError

__all__ = ["PEAK_WINDOWS", "Trace", "TraceFormat", "TraceSummary", "split"]

#: How a trace's file gave its arrivals: one number of seconds a line, one ISO 8601
#: timestamp a line, a CSV column of either, or per-interval counts.
TraceFormat = Literal["seconds", "iso8601", "csv", "counts"]

#: Window lengths (s) of the peak rates: from a burst a replica's queue feels (1 s) to
#: what an autoscaler averages over (60 s, 5 min).
PEAK_WINDOWS = (1, 10, 60, 300)


@dataclass(frozen=True)
class TraceSummary:
    """What a trace amounts to, in replay time (after the speed-up)."""

    source: str  # the file's name
    format: str
    speed: float
    duration_seconds: float  # from the first arrival (or interval start) to the end
    requests: int
    mean_queries_per_second: float | None  # None for a trace of no length
    #: the most arrivals in any window of each length (s), over the window
    peak_queries_per_second: dict[str, float]
    inter_arrival_cv: float | None  # std / mean of the gaps; None below two gaps
    #: what the file's times were: "s", "ms"/"us"/"ns" since the epoch, or "iso"
    time_unit: str = "s"
    #: the clock tick (s) the file's times were cut to, when arrivals sharing a time at
    #: it were spread within it (see read_trace); None when nothing was spread
    time_resolution: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The camelCase dict a profile's details keep under ``traffic``."""
        return {
            "source": self.source,
            "format": self.format,
            "speed": self.speed,
            "durationSeconds": self.duration_seconds,
            "requests": self.requests,
            "meanQueriesPerSecond": self.mean_queries_per_second,
            "peakQueriesPerSecond": dict(self.peak_queries_per_second),
            "interArrivalCv": self.inter_arrival_cv,
            "timeUnit": self.time_unit,
            "timeResolutionSeconds": self.time_resolution,
        }


@dataclass(frozen=True, eq=False)
class Trace:
    """Arrival times (float64 seconds from the trace's start, sorted, read-only).

    ``duration`` runs from the start to the last arrival, or to the end of the last
    interval for per-interval counts (whose last interval may be empty); ``column`` is
    the CSV column the times came from (None for other formats); ``unit``, what the
    file's times were: ``"s"``, ``"ms"``/``"us"``/``"ns"`` since the epoch, or ``"iso"``;
    ``resolution``, the clock tick (s, in the file's time) within which arrivals that
    shared a time were spread, or None.
    """

    arrivals: NDArray[np.float64]
    source: str
    format: TraceFormat
    speed: float = 1.0
    duration: float = 0.0
    column: str | None = None
    unit: str = "s"
    resolution: float | None = None

    def __post_init__(self) -> None:
        arrivals = np.array(self.arrivals, dtype=np.float64)  # a copy we own
        arrivals.flags.writeable = False
        object.__setattr__(self, "arrivals", arrivals)
        if arrivals.size and self.duration < arrivals[-1]:
            object.__setattr__(self, "duration", float(arrivals[-1]))

    def __len__(self) -> int:
        return int(self.arrivals.size)

    def summary(self) -> TraceSummary:
        """Duration, requests, mean and peak rates, and the burstiness of the gaps."""
        a = self.arrivals
        n = int(a.size)
        gaps = np.diff(a)
        cv = None
        if gaps.size >= 2 and gaps.mean() > 0:
            cv = round(float(gaps.std() / gaps.mean()), 4)
        mean = round(n / self.duration, 4) if self.duration > 0 else None
        return TraceSummary(
            source=self.source,
            format=self.format,
            speed=self.speed,
            duration_seconds=round(self.duration, 6),
            requests=n,
            mean_queries_per_second=mean,
            peak_queries_per_second={f"{w}s": round(peak_count(a, w) / w, 4) for w in PEAK_WINDOWS},
            inter_arrival_cv=cv,
            time_unit=self.unit,
            time_resolution=self.resolution,
        )

    def window(self, start: float, seconds: float) -> Trace:
        """The arrivals in ``[start, start + seconds)``, as a trace starting at ``start``
        (its times count from there, so the window replays at its own pace)."""
        if not (math.isfinite(start) and start >= 0):
            raise InvalidInputError(f"a trace window must start at 0 s or later, not {start}")
        if not (math.isfinite(seconds) and seconds > 0):
            raise InvalidInputError(f"a trace window must last more than 0 s, not {seconds}")
        a = self.arrivals
        lo, hi = np.searchsorted(a, [start, start + seconds], side="left")
        length = max(0.0, min(seconds, self.duration - start))
        return Trace(
            a[lo:hi] - start,
            self.source,
            self.format,
            self.speed,
            length,
            self.column,
            self.unit,
            self.resolution,
        )


def peak_count(arrivals: NDArray[np.float64], seconds: float) -> int:
    """The most arrivals in any window ``[t, t + seconds)`` (a busiest window starts at
    an arrival, so only those starts need checking).

    >>> peak_count(np.array([0.0, 0.5, 0.9, 1.0, 5.0]), 1.0)
    3
    """
    if arrivals.size == 0:
        return 0
    ends = np.searchsorted(arrivals, arrivals + seconds, side="left")
    return int((ends - np.arange(arrivals.size)).max())


def split(arrivals: NDArray[np.float64], n: int, seed: int | None) -> list[NDArray[np.float64]]:
    """Deal ``arrivals`` among ``n`` replicas, each to one chosen uniformly at random
    (a load balancer's random choice); each replica's arrivals stay sorted.

    >>> [len(part) for part in split(np.arange(10.0), 1, 0)]
    [10]
    """
    if n < 1:
        raise InvalidInputError(f"arrivals are split among 1 or more replicas, not {n}")
    a = np.asarray(arrivals, dtype=np.float64)
    owner = np.random.default_rng(seed).integers(0, n, a.size)
    return [a[owner == i] for i in range(n)]
