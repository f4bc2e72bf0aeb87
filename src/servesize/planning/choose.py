"""Choosing the settings: the static fleet, then the autoscalers' targets and bounds.

* **Static** (:func:`static_replicas`): the fewest replicas that carry the trace's
  peak: every minute of the trace meets the objective and the whole trace reaches the
  required share of requests within the limit, on smoothed rates and on the trace's
  own arrivals, with no autoscaler at all.
* **HPA** (:func:`choose_hpa`): ``targetCPUUtilizationPercentage`` and ``minReplicas``.
  A target above the utilisation at which one replica still meets the required share
  can never hold at steady state, so targets are tried from that one down in steps
  of 5 points, each with ``minReplicas`` from 1 up; the cheapest setting in
  replica-hours for which the simulated fleet reaches the required share of requests
  and of minutes wins (a tie: the higher target, the lower minimum), found best first
  (:func:`_search`).  The reaction
  delay (sync period, metric window and age, cold start) is inside the simulation, so
  a burst the HPA is too slow for shows as missed requests and minutes and pushes the
  choice to a lower target or a higher minimum.  A setting that holds so must then
  reach the required share of requests on the trace's own arrival times too (plan.py:
  bursts shorter than the rate window queue more than Poisson arrivals at its mean);
  one that does not is passed over like one that missed.  The scale-down
  stabilization window is searched too: the settings' (300 s, the default) and the shorter
  :data:`DOWN_WINDOWS`, a shorter one kept only when it saves at least 1%.
  ``maxReplicas`` is the static count (that many carry the trace's peak minute, so more
  are never needed for it; raise it for traffic beyond the trace), so the plan never
  costs more than the static fleet; ``behavior`` is written out in full.
* **KEDA** (:func:`choose_keda`): ``requestRate.targetValue`` per replica, tried from
  the rate at which one replica meets the required share down in steps of 5%, with
  the same search of the minimum and the window.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from servesize.errors import InvalidInputError
from servesize.planning.fleet import Simulation, simulate
from servesize.planning.hpa import Behavior, ScalingPolicy, ScalingRules
from servesize.planning.rates import FloatArray
from servesize.planning.replica import LatencyTable
from servesize.planning.scalers import Fixed, HpaCpu, KedaRate
from servesize.planning.settings import PlanSettings

__all__ = [
    "Choice",
    "behavior_for",
    "choose_hpa",
    "choose_keda",
    "minutes_share",
    "required_share",
    "static_replicas",
]

#: target steps tried below the highest sensible one
_STEPS = 12
#: scale-down stabilization windows (s) tried below the settings' (300 s by default)
DOWN_WINDOWS = (120, 60)


@dataclass
class Choice:
    """A chosen autoscaler setting and its simulation."""

    settings: dict[str, Any]
    simulation: Simulation
    met: bool


def required_share(table: LatencyTable, settings: PlanSettings) -> float:
    """The share of requests within the limit a plan must reach: the settings', else the
    objective's own (0.99 for p99)."""
    if settings.attainment is not None:
        return float(settings.attainment)
    return table.percentile / 100.0


def minutes_share(sim: Simulation) -> float:
    """Share of the trace's minutes with requests whose percentile meets the objective."""
    minutes = sim.minutes()
    limit = sim.table.limit_ms
    good = sum(
        1
        for m in minutes
        if m["predictedPercentileMs"] is not None and m["predictedPercentileMs"] <= limit
    )
    return good / len(minutes) if minutes else 1.0


#: ``check(sim)``: whether a fleet that holds on smoothed rates also holds on the
#: trace's own arrival times (plan.py; None: smoothed rates alone)
ArrivalCheck = Callable[[Simulation], bool] | None


def _holds(
    sim: Simulation, need: float, settings: PlanSettings, check: ArrivalCheck = None
) -> bool:
    """The required share of requests and of minutes, then the same on the trace's
    own arrivals (in that order: each costs more than the one before)."""
    smoothed = sim.attainment >= need and minutes_share(sim) >= settings.minutes
    return smoothed and (check is None or check(sim))


def behavior_for(window: int) -> Behavior:
    """The documented default behavior with a scale-down window of ``window`` s."""
    down = ScalingRules(window, (ScalingPolicy("Percent", 100, 15),), "Max")
    return Behavior(scale_down=down)


def static_replicas(
    counts: FloatArray, table: LatencyTable, settings: PlanSettings, check: ArrivalCheck = None
) -> tuple[int, Simulation]:
    """The static plan: the fewest replicas meeting the objective in every minute and
    the required share overall, on the trace's own arrivals too (``check``), at most
    ``settings.max_replicas``."""
    need = required_share(table, settings)
    best = float(table.within(np.array([table.rates[0]]))[0])
    if best < need:
        raise InvalidInputError(
            f"one replica cannot put {need:.1%} of requests within {table.limit_ms:g} ms even at "
            f"a trickle (at best {best:.1%}, the profile's model): loosen the objective or "
            "lower the share (--setting attainment=...)"
        )
    peak = float(np.max(counts)) if counts.size else 0.0
    replicas = max(1, math.ceil(float(counts.mean()) / max(table.top_rate, 1e-9)))
    while True:
        sim = simulate(Fixed(replicas), counts, table, settings)
        smoothed = sim.attainment >= need and minutes_share(sim) >= 1.0
        if (smoothed and (check is None or check(sim))) or replicas >= settings.max_replicas:
            return replicas, sim
        if smoothed:  # only the arrivals' bursts: one more at a time
            replicas += 1
            continue
        # jump ahead while far off: a fleet the peak second swamps needs more at once
        short = peak / max(replicas * table.top_rate, 1e-9)
        replicas = min(settings.max_replicas, replicas + max(1, int(short) - 1))


def _search(
    make: Any,
    targets: list[float],
    counts: FloatArray,
    table: LatencyTable,
    settings: PlanSettings,
    static: int,
    check: ArrivalCheck = None,
    ceiling: float = math.inf,
) -> tuple[float, int, Simulation, bool] | None:
    """The cheapest (target, minimum) that holds, best first: every target starts at a
    minimum of 1, and the cheapest setting simulated so far is taken next; one that
    holds on smoothed rates is checked on the trace's own arrivals (the costly step:
    every arrival through a pod's queue), and one that does not hold, or fails that
    check, has its next minimum simulated.  Replica-hours do not fall as the minimum
    rises, so the first to pass both is the cheapest, and the dearer settings are
    neither simulated much further nor checked (a day's trace would otherwise check
    dozens of them).  A tie: the higher target, then the lower minimum.  None when
    nothing that holds costs less than ``ceiling`` replica-hours (a setting found
    before wins)."""
    need = required_share(table, settings)
    heap: list[tuple[float, float, int, int, Simulation, bool]] = []
    order = itertools.count()  # a unique key before the simulation, never compared

    def push(target: float, minimum: int) -> None:
        if minimum > static:
            return
        sim = simulate(make(target, minimum, static), counts, table, settings)
        smoothed = sim.attainment >= need and minutes_share(sim) >= settings.minutes
        heapq.heappush(heap, (sim.replica_hours, -target, minimum, next(order), sim, smoothed))

    for target in targets:
        push(target, 1)
    while heap:
        hours, negative, minimum, _, sim, smoothed = heapq.heappop(heap)
        if hours >= ceiling:
            return None
        if smoothed and (check is None or check(sim)):
            return -negative, minimum, sim, True
        push(-negative, minimum + 1)
    # nothing reached the share: the static count as the minimum is the safe answer
    target = targets[-1]
    sim = simulate(make(target, static, static), counts, table, settings)
    return target, static, sim, _holds(sim, need, settings, check)


def _bounded(
    make: Any,
    target: float,
    minimum: int,
    static: int,
    counts: FloatArray,
    table: LatencyTable,
    settings: PlanSettings,
) -> tuple[int, Simulation]:
    """maxReplicas is the static count (the trace never needs more: that many carry its
    peak minute); the chosen setting re-run with a timeline."""
    final = simulate(make(target, minimum, static), counts, table, settings, timeline=True)
    return static, final


@dataclass
class _Found:
    behavior: Behavior
    make: Any
    target: float
    minimum: int
    simulation: Simulation
    met: bool


def _with_behavior(
    factory: Any,
    targets: list[float],
    counts: FloatArray,
    table: LatencyTable,
    settings: PlanSettings,
    static: int,
    check: ArrivalCheck = None,
) -> _Found:
    """The search under the settings' scale-down window, then under the shorter ones of
    :data:`DOWN_WINDOWS`; a shorter window wins only when it saves at least 1%
    (scale-downs that wait are steadier)."""
    longest = settings.scale_down_stabilization
    found: _Found | None = None
    for window in [longest, *(w for w in DOWN_WINDOWS if w < longest)]:
        behavior = behavior_for(window)
        make = factory(behavior)
        # once one holds, a shorter window must save 1% to win: its search stops there
        ceiling = found.simulation.replica_hours * 0.99 if found and found.met else math.inf
        result = _search(make, targets, counts, table, settings, static, check, ceiling)
        if result is None:
            continue
        target, minimum, sim, met = result
        cheaper = found is not None and sim.replica_hours < found.simulation.replica_hours * 0.99
        if found is None or (met and (not found.met or cheaper)):
            found = _Found(behavior, make, target, minimum, sim, met)
    assert found is not None
    return found


def choose_hpa(
    counts: FloatArray,
    table: LatencyTable,
    settings: PlanSettings,
    static: int,
    check: ArrivalCheck = None,
) -> Choice:
    replica = table.replica
    share = required_share(table, settings)
    # the utilisation of one replica at the highest rate still meeting the share
    top = float(replica.cpu_utilization(np.array([table.rate_within(share)]))[0])
    top_percent = max(5, min(100, int(top * 100) // 5 * 5))
    targets = sorted({max(5, top_percent - 5 * i) for i in range(_STEPS)}, reverse=True)

    def factory(behavior: Behavior) -> Any:
        def make(target: float, minimum: int, maximum: int) -> HpaCpu:
            return HpaCpu(replica, settings, int(target), minimum, maximum, behavior)

        return make

    f = _with_behavior(factory, [float(t) for t in targets], counts, table, settings, static, check)
    maximum, final = _bounded(f.make, f.target, f.minimum, static, counts, table, settings)
    return Choice(
        {
            "targetCPUUtilizationPercentage": int(f.target),
            "minReplicas": f.minimum,
            "maxReplicas": maximum,
            "behavior": f.behavior.to_dict(),
        },
        final,
        f.met,
    )


def choose_keda(
    counts: FloatArray,
    table: LatencyTable,
    settings: PlanSettings,
    static: int,
    check: ArrivalCheck = None,
) -> Choice:
    replica = table.replica
    top = table.rate_within(required_share(table, settings))
    # the add-on's targetValue is an integer number of requests per second
    targets = sorted(
        {max(1, math.floor(top * (1 - 0.05 * i))) for i in range(_STEPS)}, reverse=True
    )

    def factory(behavior: Behavior) -> Any:
        def make(target: float, minimum: int, maximum: int) -> KedaRate:
            return KedaRate(replica, settings, target, minimum, maximum, behavior)

        return make

    f = _with_behavior(factory, [float(t) for t in targets], counts, table, settings, static, check)
    maximum, final = _bounded(f.make, f.target, f.minimum, static, counts, table, settings)
    return Choice(
        {
            "requestRateTargetValue": int(f.target),
            "minReplicaCount": f.minimum,
            "maxReplicaCount": maximum,
            "window": f"{settings.keda_window:g}s",
            "granularity": "1s",
            "behavior": f.behavior.to_dict(),
        },
        final,
        f.met,
    )
