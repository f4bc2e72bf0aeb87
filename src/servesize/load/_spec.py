"""What to send, how fast and for how long: the inert description of one load run."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

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

    Exactly one of ``rate`` (open loop, requests/s on a ``poisson`` or ``constant``
    schedule) and ``concurrency`` (closed loop, that many requests always in flight)
    is set.  The run stops when both ``duration`` seconds and ``min_queries`` measured
    queries are reached (either may be None or 0, not both); ``warmup`` seconds come first
    and are not measured.  ``connections`` caps the open loop's connection pool
    (default 1,024); in the closed loop it is ``concurrency``.  ``isolated`` sends
    from a child process even when ``processes`` is 1, so that the caller's other
    threads (a sampler, a progress display) never hold the sender's GIL when a request
    is due; it costs a process start (~0.5-1 s) per run.
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
    threshold_ms: float | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def open_loop(self) -> bool:
        """True when requests follow a schedule (``rate``), not completions."""
        return self.rate is not None

    @property
    def connection_cap(self) -> int:
        """Most connections the run may hold open at once (per process)."""
        if self.concurrency is not None:
            return self.concurrency
        return self.connections or DEFAULT_OPEN_LOOP_CONNECTIONS


def _validate(spec: LoadSpec) -> None:
    if (spec.rate is None) == (spec.concurrency is None):
        raise InvalidInputError("give exactly one of rate (open loop) and concurrency")
    if spec.rate is not None and not (math.isfinite(spec.rate) and spec.rate > 0):
        raise InvalidInputError(f"rate must be a positive number, not {spec.rate}")
    if spec.concurrency is not None and spec.concurrency < 1:
        raise InvalidInputError(f"concurrency must be at least 1, not {spec.concurrency}")
    if spec.arrival not in ("poisson", "constant"):
        raise InvalidInputError(f"arrival must be poisson or constant, not {spec.arrival!r}")
    if not spec.duration and not spec.min_queries:
        raise InvalidInputError("give a duration, a minimum query count, or both")
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
