"""Reading a traffic trace from a file: arrival times, a CSV timestamp column, or counts.

Accepted, told apart by the first non-blank line (blank lines are skipped everywhere):

* one arrival a line, as seconds (``12.5``) or ISO 8601 (``2023-11-16 18:15:46.6805900``,
  ``2023-11-16T18:15:46Z``, ``...+01:00``);
* a CSV with a header and a timestamp column of either kind: ``column`` names it, else
  the first of ``timestamp``, ``time``, ``arrival_time``, ``arrival``, ``ts`` present
  (any case) is used (Azure's public LLM traces have ``TIMESTAMP``);
* the same CSVs with ``;`` or tabs between fields (a spreadsheet's export), told by
  the first line: no comma in it, and one of those;
* per-interval counts: ``start,count`` rows (a header ``start,count``, or none), or a
  CSV whose header names a count column (``count``, ``counts``, ``requests``,
  ``invocations``, ``request_count``, any case) beside a time column (chosen as above,
  or ``start``), so that a per-minute export is not read as one arrival a row; each
  interval expanded into ``count`` arrivals drawn uniformly in ``[start, next start)``
  with a fixed seed (given its count, a Poisson process's arrivals in an interval are
  exactly such uniform order statistics); the last interval is as long as the one before.

Times cut to a coarse clock (an access log's whole seconds) make arrivals share a time
that were apart: when some arrivals share a time and every time is a multiple of 1 min,
1 s, 100 ms, 10 ms or 1 ms (the coarsest that fits), each arrival is moved to a uniform
time within its tick with a fixed seed, as per-interval counts are expanded (sending a
second's requests at once would be a burst the service never saw); the trace's
``resolution`` says so.

Numbers are seconds, except numbers of 1e11 or more (3,000 years of seconds): those
are times since the Unix epoch in milliseconds (up to 1e14), microseconds (up to 1e17)
or nanoseconds, as logs keep them, told apart by magnitude (the trace's ``unit``).
JSON (lines) is refused with a line that says so.  ISO 8601 times are parsed to the
nanosecond by numpy: ``datetime.fromisoformat`` keeps microseconds and drops the 7th
fractional digit that Azure's traces have.  Times become seconds from the first
arrival (or the first interval's start), divided by ``speed``.
"""

from __future__ import annotations

import contextlib
import csv
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from servesize.errors import InvalidInputError
from servesize.load._trace import Trace, TraceFormat

__all__ = ["COUNTS_SEED", "COUNT_COLUMNS", "SPREAD_SEED", "TIMESTAMP_COLUMNS", "read_trace"]

#: Column names taken as the timestamp column when none is given, in this order.
TIMESTAMP_COLUMNS = ("timestamp", "time", "arrival_time", "arrival", "ts")
#: Column names that make a CSV per-interval counts (a count of arrivals a row).
COUNT_COLUMNS = ("count", "counts", "requests", "invocations", "request_count")
#: The seed of the per-interval expansion: one counts file always gives the same arrivals.
COUNTS_SEED = 20
#: The seed of spreading arrivals that share a time within their clock's tick.
SPREAD_SEED = 21
#: Clock ticks (s) a trace's times may have been cut to, coarsest first.
_RESOLUTIONS = (60.0, 1.0, 0.1, 0.01, 0.001)
#: (the first value at least, its unit, units a second): numbers that large are not
#: seconds (see the module's docstring)
_EPOCH_UNITS = ((1e17, "ns", 1e9), (1e14, "us", 1e6), (1e11, "ms", 1e3))
_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?)\s*(Z|[+-]\d{2}:?\d{2})?"
)


class _Bad(Exception):
    """A problem at a line (0: the file as a whole), turned into one error by read_trace."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class _Column:
    """Values of the non-blank lines (or of one CSV column), with their line numbers."""

    lines: Sequence[int]
    texts: list[str]

    def at(self, k: int) -> tuple[int, str]:
        return self.lines[k], self.texts[k]


def read_trace(path: str | Path, *, column: str | None = None, speed: float = 1.0) -> Trace:
    """The arrivals in ``path``, in seconds from the first, replayed ``speed`` times faster.

    >>> trace = read_trace("traffic.csv", column="TIMESTAMP", speed=10)  # doctest: +SKIP
    >>> trace.summary().to_dict()["peakQueriesPerSecond"]["1s"]  # doctest: +SKIP
    """
    path = Path(path)
    try:
        if not (isinstance(speed, (int, float)) and math.isfinite(speed) and speed > 0):
            raise _Bad(0, f"the traffic speed must be a positive number, not {speed!r}")
        return _parse(path.name, _lines(path), column, float(speed))
    except _Bad as bad:
        where = f"{path}: line {bad.line}" if bad.line else str(path)
        raise InvalidInputError(f"{where}: {bad.problem}") from None


def _lines(path: Path) -> _Column:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise _Bad(0, f"cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise _Bad(0, "not a text file (expected UTF-8 arrival times or CSV)") from None
    texts = list(map(str.strip, text.split("\n")))
    if all(texts[:-1]):  # the usual file: no blank line but perhaps the last
        column = _Column(range(1, len(texts) + 1), texts)
    else:
        kept = [i for i, t in enumerate(texts) if t]
        column = _Column([i + 1 for i in kept], [texts[i] for i in kept])
    if not column.texts or not column.texts[0]:
        raise _Bad(0, "no arrival times: the file is empty")
    if not column.texts[-1]:
        column = _Column(column.lines[:-1], column.texts[:-1])
    return column


def _parse(source: str, lines: _Column, column: str | None, speed: float) -> Trace:
    first_line, first = lines.at(0)
    if first[:1] in ("{", "["):
        raise _Bad(first_line, "JSON is not read: write one arrival time a line, or a CSV "
                   "with a timestamp column")  # fmt: skip
    # a spreadsheet's export may separate fields with ';' or tabs; a comma wins
    sep = next((c for c in (",", "\t", ";") if c in first), ",")
    fields = next(csv.reader([first], delimiter=sep))
    if column is None and all(_is_time(f) for f in fields):  # no header
        if len(fields) == 1:
            unit, times = _times(lines)
            kind: TraceFormat = "iso8601" if unit == "iso" else "seconds"
            return _trace(source, kind, times, speed, unit=unit)
        if len(fields) == 2:
            return _counts(source, _split(lines, 2, sep), speed)
        raise _Bad(first_line, f"{len(fields)} values: expected one arrival time a line, "
                   "start,count rows, or a CSV with a header")  # fmt: skip
    names = [f.strip() for f in fields]
    if column is None and len(names) == 1 and names[0].lower() not in TIMESTAMP_COLUMNS:
        raise _Bad(first_line, f"{first!r} is not an arrival time (seconds or ISO 8601)")
    rows = _Column(lines.lines[1:], lines.texts[1:])
    lowered = [n.lower() for n in names]
    counted = next((lowered.index(c) for c in COUNT_COLUMNS if c in lowered), None)
    index = _column_index(names, column, first_line, counts=counted is not None)
    if counted == index:  # the header's mistake: said at its line, before any row is read
        raise _Bad(first_line, f"{names[index]!r} holds counts a row: name the column of the "
                   "intervals' starts (seconds or ISO 8601)")  # fmt: skip
    if not rows.texts:
        raise _Bad(0, "no arrival times: the file has a header and no rows")
    columns = _split(rows, len(names), sep)
    if counted is not None:
        return _counts(source, [columns[index], columns[counted]], speed, column=names[index])
    unit, times = _times(columns[index])
    return _trace(source, "csv", times, speed, column=names[index], unit=unit)


def _column_index(names: list[str], column: str | None, line: int, *, counts: bool) -> int:
    if column is not None:
        if column not in names:
            raise _Bad(line, f"no column {column!r} (columns: {', '.join(names)})")
        return names.index(column)
    lowered = [n.lower() for n in names]
    for candidate in TIMESTAMP_COLUMNS + (("start",) if counts else ()):
        if candidate in lowered:
            return lowered.index(candidate)
    if counts:
        raise _Bad(line, f"no column of the intervals' starts among {', '.join(names)}: "
                   "name it (seconds or ISO 8601; column=, or --traffic-column)")  # fmt: skip
    raise _Bad(line, f"no timestamp column among {', '.join(names)}: name the column to "
               "use (column=, or --traffic-column)")  # fmt: skip


def _split(rows: _Column, width: int, sep: str = ",") -> list[_Column]:
    """The CSV rows as ``width`` columns of stripped values."""
    parsed = list(csv.reader(rows.texts, delimiter=sep))
    if any(len(row) != width for row in parsed):
        k = next(k for k, row in enumerate(parsed) if len(row) != width)
        raise _Bad(rows.lines[k], f"{len(parsed[k])} fields where the first row has {width}")
    return [_Column(rows.lines, [row[j].strip() for row in parsed]) for j in range(width)]


def _is_time(text: str) -> bool:
    text = text.strip()
    return _seconds(text) is not None or _ISO.fullmatch(text) is not None


def _seconds(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _times(values: _Column) -> tuple[str, NDArray[np.float64]]:
    """The values in seconds from the first, and what they were: seconds (``"s"``),
    times since the epoch in ``"ms"``, ``"us"`` or ``"ns"``, or ISO 8601 (``"iso"``),
    which the first value decides; checked finite, non-negative, sorted."""
    if _seconds(values.texts[0]) is not None:
        out = _numbers(values, "an arrival time in seconds")
        bad = np.flatnonzero(out < 0)
        if bad.size:
            line, text = values.at(int(bad[0]))
            raise _Bad(line, f"negative arrival time {text}")
        _check_sorted(values, out)
        unit, per_second = next(
            ((name, scale) for least, name, scale in _EPOCH_UNITS if out[0] >= least),
            ("s", 1.0),
        )
        return unit, (out - out[0]) / per_second if per_second != 1.0 else out - out[0]
    ns = _iso_times(values)
    _check_sorted(values, ns)
    return "iso", (ns - ns[0]).astype(np.float64) / 1e9


def _numbers(values: _Column, what: str) -> NDArray[np.float64]:
    try:
        out = np.array(values.texts, dtype=np.float64)
    except ValueError:
        k = next(k for k, text in enumerate(values.texts) if _seconds(text) is None)
        raise _Bad(values.lines[k], f"{values.texts[k]!r} is not {what}") from None
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        line, text = values.at(int(bad[0]))
        raise _Bad(line, f"{text!r} is not {what}")
    return out


def _iso_times(values: _Column) -> NDArray[np.int64]:
    """ISO 8601 times as integer nanoseconds (UTC where an offset is given)."""
    texts = values.texts
    # fast path: numpy parses zone-free ISO 8601 at C speed; it also takes words
    # ("now", "NaT"), hence the year check, and warns on a zone, hence the fallback
    if all(t[4:5] == "-" for t in texts):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with contextlib.suppress(ValueError, UserWarning, DeprecationWarning):
                ns = np.array(texts, dtype="datetime64[ns]")
                if not np.isnat(ns).any():
                    return ns.astype(np.int64)
    return _iso_times_slowly(values)


def _iso_times_slowly(values: _Column) -> NDArray[np.int64]:
    """Line by line: times with a zone, or a file with a bad line to find."""
    bases: list[str] = []
    offsets: list[int] = []
    zoned = None
    for line, text in zip(values.lines, values.texts, strict=True):
        match = _ISO.fullmatch(text)
        if match is None:
            raise _Bad(line, f"{text!r} is not an ISO 8601 time (like 2023-11-16 18:15:46.68)")
        base, zone = match.groups()
        if zoned is None:
            zoned = zone is not None
        elif zoned != (zone is not None):
            raise _Bad(line, f"{text!r} mixes times with and without a time zone")
        try:
            np.datetime64(base, "ns")
        except ValueError:
            raise _Bad(line, f"{text!r} is not a valid date and time") from None
        bases.append(base)
        offsets.append(_offset_ns(zone))
    ns = np.array(bases, dtype="datetime64[ns]").astype(np.int64)
    return ns - np.array(offsets, dtype=np.int64)


def _offset_ns(zone: str | None) -> int:
    if not zone or zone == "Z":
        return 0
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    return (1 if zone[0] == "+" else -1) * minutes * 60_000_000_000


def _check_sorted(values: _Column, times: NDArray[np.float64] | NDArray[np.int64]) -> None:
    back = np.flatnonzero(np.diff(times) < 0)
    if back.size:
        k = int(back[0]) + 1
        (line, text), (before, prev) = values.at(k), values.at(k - 1)
        raise _Bad(line, f"{text} is earlier than line {before}'s {prev}: arrival times "
                   "must be sorted")  # fmt: skip


def _trace(
    source: str,
    kind: TraceFormat,
    seconds: NDArray[np.float64],
    speed: float,
    *,
    duration: float = 0.0,
    column: str | None = None,
    unit: str = "s",
) -> Trace:
    resolution = None
    if kind != "counts":
        seconds, resolution = _spread_ties(seconds)
    arrivals = seconds / speed if speed != 1.0 else seconds
    return Trace(arrivals, source, kind, speed, duration / speed, column, unit, resolution)


def _spread_ties(seconds: NDArray[np.float64]) -> tuple[NDArray[np.float64], float | None]:
    """Arrivals that share a time on a coarse clock, each moved to a uniform time within
    its tick (see the module's docstring), and the tick; unchanged, and None, when no
    two share a time or the times fit no tick of 1 ms or more."""
    if seconds.size < 2 or not np.any(np.diff(seconds) == 0):
        return seconds, None
    for tick in _RESOLUTIONS:
        # within 1 us of the tick's grid: seconds from the first are exact to far less
        if np.all(np.abs(seconds - tick * np.round(seconds / tick)) <= 1e-6):
            jitter = np.random.default_rng(SPREAD_SEED).random(seconds.size) * tick
            return np.sort(seconds + jitter), tick
    return seconds, None


def _counts(
    source: str, columns: list[_Column], speed: float, *, column: str | None = None
) -> Trace:
    """Per-interval counts expanded into arrivals (see the module's docstring)."""
    starts_at, counts_at = columns
    if len(starts_at.texts) < 2:
        line = starts_at.lines[0] if starts_at.texts else 0
        raise _Bad(line, "per-interval counts need two rows or more (the next start ends "
                   "an interval)")  # fmt: skip
    unit, starts = _times(starts_at)
    counts_f = _numbers(counts_at, "a count")
    for k in np.flatnonzero((counts_f < 0) | (counts_f != np.round(counts_f))):
        line, text = counts_at.at(int(k))
        raise _Bad(line, f"count {text!r} is not a whole number of 0 or more")
    for k in np.flatnonzero(np.diff(starts) <= 0):
        line, text = starts_at.at(int(k) + 1)
        raise _Bad(line, f"start {text} is not after the previous row's: starts must increase")
    ends = np.append(starts[1:], starts[-1] + (starts[-1] - starts[-2]))
    counts = counts_f.astype(np.int64)
    interval = np.repeat(np.arange(counts.size), counts)
    rng = np.random.default_rng(COUNTS_SEED)
    lengths = ends - starts
    arrivals = np.sort(starts[interval] + rng.random(interval.size) * lengths[interval])
    return _trace(
        source, "counts", arrivals, speed, duration=float(ends[-1]), column=column, unit=unit
    )
