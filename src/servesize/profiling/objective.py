"""The latency objective of a sizing: ``pXX <= L``, parsed from ``--slo p99=150ms``.

Only the percentiles the load generator measures exactly are accepted (p50, p90,
p95, p99, p99.9), so an objective is always judged on an exact figure, never on a
value interpolated from a histogram.

>>> objective = parse_slo("p99=150ms")
>>> objective.label, objective.metric_key
('p99<=150ms', 'latencyPercentile99InMs')
>>> parse_slo("p99.9 = 0.2s").label
'p99.9<=200ms'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servesize.errors import InvalidInputError

__all__ = ["DEFAULT_FACTOR", "Objective", "default_objective", "parse_slo"]

#: percentile (as written) -> the key suffix of the measured figure
_PERCENTILES = {"50": "50", "90": "90", "95": "95", "99": "99", "99.9": "999"}
_SLO = re.compile(r"^\s*p(\d+(?:\.\d+)?)\s*(?:=|<=)\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*$", re.I)

#: Without ``--slo``: p90 at most this many times the p90 of one request at a time,
#: and never tighter than that p90 plus ``DEFAULT_FLOOR_MS``.
DEFAULT_FACTOR = 2.0
DEFAULT_FLOOR_MS = 5.0


@dataclass(frozen=True)
class Objective:
    """``percentile`` (as text: "99", "99.9") must be at most ``limit_ms``."""

    percentile: str
    limit_ms: float
    #: why this objective applies ("given" or how the default was derived)
    source: str = "given"

    @property
    def label(self) -> str:
        return f"p{self.percentile}<={self.limit_ms:g}ms"

    @property
    def metric_key(self) -> str:
        return f"latencyPercentile{_PERCENTILES[self.percentile]}InMs"

    @property
    def tail_share(self) -> float:
        """The share of requests above the percentile (0.01 for p99)."""
        return 1.0 - float(self.percentile) / 100.0

    def value(self, metrics: Mapping[str, Any]) -> float | None:
        """The objective's percentile in ``metrics`` (the load vocabulary), in ms."""
        raw = metrics.get(self.metric_key)
        return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None

    def met(self, metrics: Mapping[str, Any]) -> bool:
        value = self.value(metrics)
        return value is not None and value <= self.limit_ms


def parse_slo(text: str) -> Objective:
    """``"p99=150ms"``, ``"p90<=0.2s"`` (no unit: ms) -> :class:`Objective`."""
    match = _SLO.match(text or "")
    if match is None:
        raise InvalidInputError(
            f"bad latency objective {text!r}: write PERCENTILE=LIMIT, e.g. p99=150ms or p90=0.2s"
        )
    percentile, value, unit = match.group(1), float(match.group(2)), (match.group(3) or "ms")
    percentile = percentile.rstrip("0").rstrip(".") if "." in percentile else percentile
    if percentile not in _PERCENTILES:
        raise InvalidInputError(
            f"latency objective {text!r}: the percentile must be one of "
            f"{', '.join('p' + p for p in _PERCENTILES)} (the ones measured exactly)"
        )
    limit_ms = value * (1000.0 if unit.lower() == "s" else 1.0)
    if not limit_ms > 0:
        raise InvalidInputError(f"latency objective {text!r}: the limit must be positive")
    return Objective(percentile, round(limit_ms, 6))


def default_objective(low_load_p90_ms: float) -> Objective:
    """p90 <= max(2 x, + 5 ms) the p90 of one request at a time (the latency knee).

    Why this default: at low load latency is the service time; twice it is where an
    M/M/1-like queue sits at half utilisation and the latency curve bends upwards,
    so past it more load buys more queueing than throughput.  p90 rather than p99
    because a short measurement judges p90 on ten times as many requests.  The 5 ms
    floor: for a sub-millisecond model, twice its service time is within the jitter
    of the scheduler and the network stack, which no allocation can remove.
    """
    limit = round(max(low_load_p90_ms * DEFAULT_FACTOR, low_load_p90_ms + DEFAULT_FLOOR_MS), 1)
    return Objective(
        "90",
        limit,
        source=f"default: max({DEFAULT_FACTOR:g} x, + {DEFAULT_FLOOR_MS:g} ms) the p90 of one "
        f"request at a time ({low_load_p90_ms:.1f} ms)",
    )
