"""The stream of per-request results, folded as it flows into bounded state.

Each finished request gives its due time, send time, time of its first response
byte, completion time, status (or error kind) and bytes.  Nothing is kept per
request: latencies of the current 1 s window wait in flat lists, and when the
window closes they become an exact histogram (see ``_histogram``) and one small
:class:`WindowPart` for the sink.
Memory is therefore one window of raw values plus the distinct-value histograms.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from servesize.load._histogram import Histogram

__all__ = ["Recorder", "Totals", "WindowPart"]

_NS_PER_WINDOW = 1_000_000_000
_LATE_NS = 1_000_000  # a send more than 1 ms after its due time is late


@dataclass
class WindowPart:
    """One process's share of one 1 s window (completions in that second)."""

    index: int
    length: float  # seconds covered (1.0 except a final partial window)
    latency: Histogram
    queries: int
    success: int
    errors: int


@dataclass
class Totals:
    """Everything a run measured, mergeable across processes."""

    total: int = 0
    success: int = 0
    late: int = 0
    bytes_received: int = 0
    warmup_total: int = 0
    warmup_success: int = 0
    last_done_ns: int = 0
    #: measured requests the schedule issued (all of them end as a result unless the
    #: run is stopped early), and how many of those were still unanswered when the
    #: schedule ended (None when it never ended on its own: a stopped run)
    scheduled: int = 0
    backlog: int | None = None
    errors_by_status: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    latency: Histogram = field(default_factory=Histogram)
    service: Histogram = field(default_factory=Histogram)
    #: due time to the first byte of the response (a streamed answer's first chunk)
    first_byte: Histogram = field(default_factory=Histogram)


class Recorder:
    """Folds request results into :class:`Totals` and emits closed windows to ``sink``.

    ``measure_start_ns`` splits warm-up (due earlier: counted apart, not measured)
    from measurement; window ``k`` holds completions in ``[start + k s, start + k+1 s)``.
    """

    def __init__(self, measure_start_ns: int, sink: Callable[[WindowPart], None]) -> None:
        self.start = measure_start_ns
        self.totals = Totals()
        self._sink = sink
        self._index = 0
        self._window_end = measure_start_ns + _NS_PER_WINDOW
        # typed arrays: appending costs what a list's does, and numpy reads them in place
        self._lat = array("q")
        self._svc = array("q")
        self._first = array("q")
        self._queries = 0
        self._success = 0

    # The two hot-path methods: plain attribute arithmetic, no allocation but list appends.
    def response(
        self, due: int, sent: int, done: int, status: int, nbytes: int, first: int = 0
    ) -> None:
        """A request that got an HTTP response (any status); ``first``: its first byte."""
        t = self.totals
        if due < self.start:
            t.warmup_total += 1
            if 200 <= status < 300:
                t.warmup_success += 1
            return
        if done >= self._window_end:
            self.roll(done)
        self._lat.append((done - due) // 1000)
        self._svc.append((done - sent) // 1000)
        self._first.append(((first or done) - due) // 1000)
        self._queries += 1
        t.total += 1
        t.bytes_received += nbytes
        if sent - due > _LATE_NS:
            t.late += 1
        if done > t.last_done_ns:
            t.last_done_ns = done
        if 200 <= status < 300:
            self._success += 1
            t.success += 1
        else:
            key = str(status)
            t.errors_by_status[key] = t.errors_by_status.get(key, 0) + 1

    def error(self, due: int, sent: int, done: int, kind: str) -> None:
        """A request that got no response: ``connect``, ``reset``, ``timeout``, ``protocol``."""
        t = self.totals
        if due < self.start:
            t.warmup_total += 1
            return
        if done >= self._window_end:
            self.roll(done)
        self._queries += 1
        t.total += 1
        if sent and sent - due > _LATE_NS:
            t.late += 1
        if done > t.last_done_ns:
            t.last_done_ns = done
        t.errors_by_kind[kind] = t.errors_by_kind.get(kind, 0) + 1

    def roll(self, now: int) -> None:
        """Close every window that ended at or before ``now`` (empty ones included)."""
        while now >= self._window_end:
            self._close(1.0)
            self._index += 1
            self._window_end += _NS_PER_WINDOW

    def finish(self, end_ns: int) -> Totals:
        """Close the last, partial window at ``end_ns`` and return the totals."""
        if end_ns > self.start:
            self.roll(end_ns)
            partial = (end_ns - (self._window_end - _NS_PER_WINDOW)) / 1e9
            if partial > 0 or self._queries:
                self._close(partial)
        return self.totals

    def _close(self, length: float) -> None:
        window = Histogram.of(self._lat)
        self.totals.latency = Histogram.merged([self.totals.latency, window])
        self.totals.service.add_raw(self._svc)
        self.totals.first_byte.add_raw(self._first)
        errors = self._queries - self._success
        self._sink(WindowPart(self._index, length, window, self._queries, self._success, errors))
        self._lat, self._svc, self._first = array("q"), array("q"), array("q")
        self._queries = self._success = 0
