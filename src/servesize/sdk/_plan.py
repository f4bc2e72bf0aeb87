"""Traffic for a plan: a trace file (or a read trace, or arrival times) to the arrival
times and summary a plan needs; and planning a stored profile (``ModelProfile.plan``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from servesize.errors import InvalidInputError
from servesize.load import Trace, read_trace
from servesize.planning import PlanSettings, plan_profile
from servesize.workspace import Store

__all__ = ["Traffic", "plan_stored", "traffic_of"]


@dataclass(frozen=True)
class Traffic:
    """Arrival times (s from the start, sorted), the trace's length and its summary."""

    arrivals: np.ndarray
    duration: float | None
    summary: dict[str, Any]


def traffic_of(traffic: Any, column: str | None = None, speed: float = 1.0) -> Traffic:
    """``traffic`` as a path to a trace file (read with ``servesize.load.read_trace``),
    a :class:`~servesize.load.Trace`, or a sequence of arrival times in seconds."""
    if isinstance(traffic, str | Path):
        traffic = read_trace(traffic, column=column, speed=speed)
    if isinstance(traffic, Trace):
        return Traffic(traffic.arrivals, traffic.duration or None, traffic.summary().to_dict())
    if isinstance(traffic, Sequence | np.ndarray):
        arrivals = np.sort(np.asarray(traffic, dtype=np.float64)) / speed
        trace = Trace(arrivals, "arrival times", "seconds", speed)
        return Traffic(arrivals, None, trace.summary().to_dict())
    raise InvalidInputError(
        f"traffic must be a trace file, a servesize.load.Trace or arrival times, not "
        f"{type(traffic).__name__}"
    )


def plan_stored(
    store: Store,
    name: str,
    traffic: Traffic,
    *,
    autoscaler: str = "hpa",
    confirm: bool = True,
    settings: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Plan stored profile ``name`` for ``traffic``; return the stored ``autoscaling``."""
    figures = plan_profile(
        store,
        name,
        traffic.arrivals,
        traffic=traffic.summary,
        autoscaler=autoscaler,
        settings=PlanSettings.from_kwargs(settings or {}),
        confirm=confirm,
        progress=progress,
        duration=traffic.duration,
    )
    assert figures.autoscaling is not None  # plan_profile stored one
    return figures.autoscaling.to_details()
