"""A trace's arrival times as counts per second, and rates over windows of them.

Everything the planner simulates runs on one-second bins of the trace: the autoscalers
read rates over their windows of these bins, the latency of a second is predicted from
its smoothed rate, and minutes are sixty bins.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from servesize.errors import InvalidInputError

__all__ = ["FloatArray", "counts_per_second", "moving_mean", "trailing_sum", "window_sums"]

FloatArray = npt.NDArray[np.float64]


def counts_per_second(arrivals: npt.ArrayLike, duration: float | None = None) -> FloatArray:
    """Arrivals (seconds from the trace's start, sorted) counted in one-second bins;
    ``duration`` (default: up to the last arrival) sets the number of bins."""
    times = np.asarray(arrivals, dtype=np.float64)
    if times.size == 0:
        raise InvalidInputError("the trace has no requests to plan for")
    if not np.all(np.isfinite(times)) or float(times.min()) < 0:
        raise InvalidInputError("arrival times must be finite and not negative")
    bins = int(times.max()) + 1
    if duration is not None and math.isfinite(duration):
        bins = max(bins, math.ceil(duration))
    index = times.astype(np.int64)
    return np.bincount(index, minlength=bins).astype(np.float64)


def trailing_sum(values: FloatArray, width: int) -> FloatArray:
    """``out[i]`` = sum of ``values[i - width + 1 .. i]`` (fewer at the start)."""
    width = max(1, int(width))
    cumulative = np.concatenate(([0.0], np.cumsum(values)))
    index = np.arange(1, values.size + 1)
    return cumulative[index] - cumulative[np.maximum(index - width, 0)]


def window_sums(values: FloatArray, width: int) -> FloatArray:
    """Sums over every window of ``width`` consecutive bins (``size - width + 1`` of
    them; one sum of all when the series is shorter)."""
    width = max(1, min(int(width), values.size))
    cumulative = np.concatenate(([0.0], np.cumsum(values)))
    return cumulative[width:] - cumulative[:-width]


def moving_mean(values: FloatArray, width: int) -> FloatArray:
    """A centred moving mean over ``width`` bins (shorter at the edges), so a burst keeps
    its place in time."""
    width = max(1, int(width))
    if width == 1:
        return values.astype(np.float64)
    cumulative = np.concatenate(([0.0], np.cumsum(values)))
    index = np.arange(values.size)
    low = np.maximum(index - width // 2, 0)
    high = np.minimum(low + width, values.size)
    out: FloatArray = (cumulative[high] - cumulative[low]) / (high - low)
    return out
