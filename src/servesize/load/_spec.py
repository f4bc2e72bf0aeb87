"""What to send, how fast and for how long: the inert description of one load run."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from servesize.errors import InvalidInputError

__all__ = ["Arrival", "LoadSpec", "parse_duration"]

Arrival = Literal["poisson", "constant"]

#: Open-loop connection cap when ``LoadSpec.connections`` is not given: enough for a
#: stalled server to pile up a second of requests at 1,000 req/s without waiting.
DEFAULT_OPEN_LOOP_CONNECTIONS = 1024

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """Seconds in ``text``: ``"30s"``, ``"2m"``, ``"500ms"``, ``"1h"`` or plain seconds.

    >>> parse_duration("2m"), parse_duration("500ms"), parse_duration("1.5")
    (120.0, 0.5, 1.5)
    """
    match = _DURATION.match(text)
    if match is None:
        raise InvalidInputError(
            f"bad duration {text!r}: use a number with an optional unit, e.g. 30s, 2m, 500ms"
        )
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True)
class LoadSpec:
    """One load run: the target, the bodies (sent round-robin), the pace and the stop rule.

    Exactly one pace is set: ``rate`` (open loop, requests/s on a ``poisson`` or
    ``constant`` schedule), ``schedule`` (open loop at given send times: sorted offsets
    in seconds from the run's start, e.g. a trace's arrivals) or ``concurrency`` (closed
    loop, that many requests always in flight).  The run stops when both ``duration``
    seconds and ``min_queries`` measured queries are reached (either may be None or 0,
    not both); a ``schedule`` ends after its last request (or at ``duration``, if
    given, when that comes first).  ``warmup`` seconds come first and are not measured.
    ``connections`` caps the open loop's connection pool (default 1,024); in the closed
    loop it is ``concurrency``.  ``isolated`` sends from a child process even when
    ``processes`` is 1, so that the caller's other threads (a sampler, a progress
    display) never hold the sender's GIL when a request is due; it costs a process start
    (~0.5-1 s) per run.
    """

    url: str
    bodies: Sequence[bytes]
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    rate: float | None = None
    arrival: Arrival = "poisson"
    concurrency: int | None = None
    duration: float | None = None
    min_queries: int | None = None
    warmup: float = 0.0
    timeout: float = 60.0
    processes: int = 1
    seed: int | None = None
    connections: int | None = None
    isolated: bool = False
    #: held as a tuple of floats, whatever sequence (or numpy array) was given
    schedule: Sequence[float] | NDArray[np.float64] | None = field(default=None, repr=False)
    threshold_ms: float | None = None

    def __post_init__(self) -> None:
        if self.schedule is not None:  # a tuple: hashable, and cheap to pickle to children
            object.__setattr__(self, "schedule", tuple(map(float, self.schedule)))
        _validate(self)

    @property
    def open_loop(self) -> bool:
        """True when requests follow a schedule (``rate`` or ``schedule``), not completions."""
        return self.rate is not None or self.schedule is not None

    @property
    def requested_rate(self) -> float | None:
        """The rate asked for: ``rate``, a schedule's mean (requests over its last
        offset), or None (closed loop, or a schedule of one instant)."""
        if self.schedule is not None:
            last = self.schedule[-1]
            return round(len(self.schedule) / last, 3) if last > 0 else None
        return self.rate

    @property
    def connection_cap(self) -> int:
        """Most connections the run may hold open at once (per process)."""
        if self.concurrency is not None:
            return self.concurrency
        return self.connections or DEFAULT_OPEN_LOOP_CONNECTIONS


def _validate(spec: LoadSpec) -> None:
    paces = (spec.rate, spec.concurrency, spec.schedule)
    if sum(pace is not None for pace in paces) != 1:
        raise InvalidInputError(
            "give exactly one of rate (open loop), schedule (open loop at given times) "
            "and concurrency"
        )
    if spec.schedule is not None:
        _validate_schedule(spec)
    elif not spec.duration and not spec.min_queries:
        raise InvalidInputError("give a duration, a minimum query count, or both")
    if spec.rate is not None and not (math.isfinite(spec.rate) and spec.rate > 0):
        raise InvalidInputError(f"rate must be a positive number, not {spec.rate}")
    if spec.concurrency is not None and spec.concurrency < 1:
        raise InvalidInputError(f"concurrency must be at least 1, not {spec.concurrency}")
    if spec.arrival not in ("poisson", "constant"):
        raise InvalidInputError(f"arrival must be poisson or constant, not {spec.arrival!r}")
    if spec.duration is not None and not (math.isfinite(spec.duration) and spec.duration >= 0):
        raise InvalidInputError(f"duration must be zero or more seconds, not {spec.duration}")
    if spec.min_queries is not None and spec.min_queries < 1:
        raise InvalidInputError(f"min_queries must be at least 1, not {spec.min_queries}")
    if not (math.isfinite(spec.warmup) and spec.warmup >= 0):
        raise InvalidInputError(f"warmup must be zero or more seconds, not {spec.warmup}")
    if not (math.isfinite(spec.timeout) and spec.timeout > 0):
        raise InvalidInputError(f"timeout must be positive, not {spec.timeout}")
    if spec.processes < 1:
        raise InvalidInputError(f"processes must be at least 1, not {spec.processes}")
    if spec.threshold_ms is not None and not (
        math.isfinite(spec.threshold_ms) and spec.threshold_ms > 0
    ):
        raise InvalidInputError(f"threshold_ms must be positive, not {spec.threshold_ms}")
    if spec.connections is not None and spec.connections < 1:
        raise InvalidInputError(f"connections must be at least 1, not {spec.connections}")
    if not spec.bodies:
        raise InvalidInputError("no request bodies: the dataset or file is empty")
    if not re.fullmatch(r"[A-Z]+", spec.method):
        raise InvalidInputError(f"bad HTTP method {spec.method!r}")
    for name, value in spec.headers.items():
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name) or any(
            c in value for c in "\r\n"
        ):
            raise InvalidInputError(f"bad header {name!r}")


def _validate_schedule(spec: LoadSpec) -> None:
    times = spec.schedule
    assert times is not None
    if not times:
        raise InvalidInputError("the schedule is empty: give one send time or more")
    if spec.min_queries:
        raise InvalidInputError("a schedule sends its own requests: min_queries does not apply")
    if spec.duration is not None and not spec.duration > 0:
        raise InvalidInputError(f"a schedule's duration cut must be positive, not {spec.duration}")
    offsets = np.asarray(times)
    bad = np.flatnonzero(~np.isfinite(offsets) | (offsets < 0))
    if bad.size:
        k = int(bad[0])
        raise InvalidInputError(f"schedule[{k}] = {times[k]}: send times are seconds >= 0")
    back = np.flatnonzero(np.diff(offsets) < 0)
    if back.size:
        k = int(back[0]) + 1
        raise InvalidInputError(
            f"schedule[{k}] = {times[k]} is before schedule[{k - 1}] = {times[k - 1]}: "
            "send times must be sorted"
        )
