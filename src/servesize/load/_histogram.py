"""An exact counting histogram of integer microseconds.

Latencies are kept as ``(value, count)`` pairs of integer microseconds, sorted by
value: percentiles are exact to the microsecond the clock was read at (no buckets,
no significant-digit rounding as in Locust or HdrHistogram), and memory grows with
the number of *distinct* values, not with the number of requests.  A run whose
latencies spread over 0 to 60 s at most holds 60 million pairs (960 MB) in theory;
in practice latencies cluster and 10 million requests hold tens of thousands of
pairs (under a megabyte).  Merging two histograms is exact, so several processes'
results merge into the same percentiles one process would have measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["Histogram"]

IntArray = npt.NDArray[np.int64]

#: Buckets per decade of the report's log-spaced distribution.
_BUCKETS_PER_DECADE = 20


class Histogram:
    """Counts of integer values (microseconds); add raw values or merge other histograms.

    >>> h = Histogram.of([5, 1, 3, 3])
    >>> h.total, h.percentile(50, 100), h.max
    (4, 3, 5)
    """

    __slots__ = ("counts", "values")

    def __init__(self, values: IntArray | None = None, counts: IntArray | None = None) -> None:
        self.values: IntArray = np.zeros(0, np.int64) if values is None else values
        self.counts: IntArray = np.zeros(0, np.int64) if counts is None else counts

    # Both constructors run once a second in the sender's loop (a window closing), so
    # they avoid np.unique's inverse and np.add.at: a sort, then counts per run of equal
    # values.  A merge sorts already sorted runs (stable argsort, a merge sort here).

    @classmethod
    def of(cls, raw: Sequence[int] | IntArray) -> Histogram:
        """The histogram of raw values (a list, an ``array('q')`` or a numpy array)."""
        ordered = np.sort(np.asarray(raw, dtype=np.int64))
        starts = _run_starts(ordered)
        return cls(ordered[starts], np.diff(np.append(starts, ordered.size)))

    @classmethod
    def merged(cls, parts: Iterable[Histogram]) -> Histogram:
        """One histogram holding every count of ``parts``."""
        parts = [p for p in parts if p.values.size]
        if not parts:
            return cls()
        if len(parts) == 1:
            return cls(parts[0].values.copy(), parts[0].counts.copy())
        values = np.concatenate([p.values for p in parts])
        order = np.argsort(values, kind="stable")
        values = values[order]
        counts = np.concatenate([p.counts for p in parts])[order]
        starts = _run_starts(values)
        return cls(values[starts], np.add.reduceat(counts, starts))

    def add_raw(self, raw: Sequence[int] | IntArray) -> None:
        """Count every value of ``raw`` (a list of ints or an array)."""
        if len(raw):
            merged = Histogram.merged([self, Histogram.of(raw)])
            self.values, self.counts = merged.values, merged.counts

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def min(self) -> int:
        return int(self.values[0])

    @property
    def max(self) -> int:
        return int(self.values[-1])

    def sum(self) -> int:
        return int(np.dot(self.values, self.counts))

    def count_above(self, value: int) -> int:
        """How many counted values exceed ``value``."""
        index = int(np.searchsorted(self.values, value, side="right"))
        return int(self.counts[index:].sum())

    def percentile(self, numerator: int, denominator: int) -> int:
        """The nearest-rank percentile: the smallest value with at least ``p * n`` at or
        below it, where ``p = numerator / denominator`` (integers: no float rounding).
        """
        n = self.total
        rank = max(1, -(-n * numerator // denominator))
        index = int(np.searchsorted(np.cumsum(self.counts), rank))
        return int(self.values[index])

    def log_buckets(self, scale: float = 1e-3) -> list[tuple[float, int]]:
        """(upper bound, count) over log-spaced buckets covering min..max, in ``scale``
        units of the values (default: microseconds to milliseconds).
        """
        if not self.values.size:
            return []
        low = max(self.min, 1)
        lo_exp = np.floor(np.log10(low) * _BUCKETS_PER_DECADE)
        hi_exp = np.ceil(np.log10(max(self.max, 1)) * _BUCKETS_PER_DECADE)
        bounds = np.unique(np.ceil(10 ** (np.arange(lo_exp, hi_exp + 1) / _BUCKETS_PER_DECADE)))
        # bucket i holds values in (bounds[i-1], bounds[i]]; values below the first go first
        index = np.minimum(np.searchsorted(bounds, self.values, side="left"), bounds.size - 1)
        counts = np.bincount(index, weights=self.counts, minlength=bounds.size)
        return [(float(b) * scale, int(c)) for b, c in zip(bounds, counts, strict=True)]


def _run_starts(ordered: IntArray) -> IntArray:
    """Where each run of equal values of a sorted array begins."""
    if not ordered.size:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
