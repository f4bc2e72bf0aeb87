"""Choosing the settings: the static fleet, then the autoscalers' targets and bounds.

* **Static** (:func:`static_replicas`): the fewest replicas that carry the trace's
  peak: every minute of the trace meets the objective and the whole trace reaches the
  required share of requests within the limit, with no autoscaler at all.
* **HPA** (:func:`choose_hpa`): ``targetCPUUtilizationPercentage`` and ``minReplicas``.
  A target above the utilisation at which one replica still meets the required share
  can never hold at steady state, so targets are tried from that one down in steps
  of 5 points; each with the fewest ``minReplicas`` (from 1) for which the simulated
  fleet reaches the required share.  The cheapest in replica-hours wins (a tie: the
  higher target, the lower minimum).  The reaction delay (sync period, metric window
  and age, cold start) is inside the simulation, so a burst the HPA is too slow for
  shows as missed requests and pushes the choice to a lower target or a higher
  minimum.  ``maxReplicas`` is the static count (that many carry the trace's peak
  minute, so more are never needed for it; raise it for traffic beyond the trace), so
  the plan never costs more than the static fleet; ``behavior`` is written out in full
  (the documented defaults, with the scale-down window of the settings).
* **KEDA** (:func:`choose_keda`): ``requestRate.targetValue`` per replica, tried from
  the rate at which one replica meets the required share down in steps of 5%, with
  the same search of the minimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from servesize.planning.fleet import Scaler, Simulation, simulate
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
    "required_share",
    "static_replicas",
]

#: target steps tried below the highest sensible one
_STEPS = 12


@dataclass
class Choice:
    """A chosen autoscaler setting and its simulation."""

    settings: dict[str, Any]
    simulation: Simulation
    met: bool


def required_share(table: LatencyTable, settings: PlanSettings) -> float:
    """The share of requests within the limit a plan must reach: the settings', or the
    objective's own when stricter (p99.9)."""
    return max(settings.attainment, table.percentile / 100.0)


def behavior_for(settings: PlanSettings) -> Behavior:
    down = ScalingRules(
        settings.scale_down_stabilization, (ScalingPolicy("Percent", 100, 15),), "Max"
    )
    return Behavior(scale_down=down)


def _minutes_met(sim: Simulation) -> bool:
    limit = sim.table.limit_ms
    return all(
        (m["predictedPercentileMs"] is not None and m["predictedPercentileMs"] <= limit)
        for m in sim.minutes()
    )


def static_replicas(
    counts: FloatArray, table: LatencyTable, settings: PlanSettings
) -> tuple[int, Simulation]:
    """The static plan: the fewest replicas meeting the objective in every minute and
    the required share overall (``settings.max_replicas`` at most)."""
    need = required_share(table, settings)
    peak = float(np.max(counts)) if counts.size else 0.0
    replicas = max(1, math.ceil(float(counts.mean()) / max(table.capacity, 1e-9)))
    while True:
        sim = simulate(Fixed(replicas), counts, table, settings)
        if (sim.attainment >= need and _minutes_met(sim)) or replicas >= settings.max_replicas:
            return replicas, sim
        # jump ahead while far off: a fleet the peak second swamps needs more at once
        short = peak / max(replicas * table.capacity, 1e-9)
        replicas = min(settings.max_replicas, replicas + max(1, int(short) - 1))


def _search(
    make: Any,
    targets: list[float],
    counts: FloatArray,
    table: LatencyTable,
    settings: PlanSettings,
    static: int,
) -> tuple[float, int, Simulation, bool]:
    need = required_share(table, settings)
    best: tuple[float, int, Simulation] | None = None
    for target in targets:
        for minimum in range(1, static + 1):
            scaler: Scaler = make(target, minimum, static)
            sim = simulate(scaler, counts, table, settings)
            if best is not None and minimum > 1 and sim.replica_hours > best[2].replica_hours:
                break  # a higher minimum only costs more from here
            if sim.attainment >= need:
                if best is None or sim.replica_hours < best[2].replica_hours - 1e-9:
                    best = (target, minimum, sim)
                break
    if best is None:
        # nothing reached the share: the static count as the minimum is the safe answer
        target = targets[-1]
        sim = simulate(make(target, static, static), counts, table, settings)
        return target, static, sim, sim.attainment >= need
    return best[0], best[1], best[2], True


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


def choose_hpa(
    counts: FloatArray, table: LatencyTable, settings: PlanSettings, static: int
) -> Choice:
    replica = table.replica
    behavior = behavior_for(settings)
    share = required_share(table, settings)
    # the utilisation of one replica at the highest rate still meeting the share
    top = float(replica.cpu_utilization(np.array([table.rate_within(share)]))[0])
    top_percent = max(5, min(100, int(top * 100) // 5 * 5))
    targets = sorted({max(5, top_percent - 5 * i) for i in range(_STEPS)}, reverse=True)

    def make(target: float, minimum: int, maximum: int) -> HpaCpu:
        return HpaCpu(replica, settings, int(target), minimum, maximum, behavior)

    target, minimum, _sim, met = _search(
        make, [float(t) for t in targets], counts, table, settings, static
    )
    maximum, final = _bounded(make, target, minimum, static, counts, table, settings)
    return Choice(
        {
            "targetCPUUtilizationPercentage": int(target),
            "minReplicas": minimum,
            "maxReplicas": maximum,
            "behavior": behavior.to_dict(),
        },
        final,
        met,
    )


def choose_keda(
    counts: FloatArray, table: LatencyTable, settings: PlanSettings, static: int
) -> Choice:
    replica = table.replica
    behavior = behavior_for(settings)
    top = table.rate_within(required_share(table, settings))
    # the add-on's targetValue is an integer number of requests per second
    targets = sorted(
        {max(1, math.floor(top * (1 - 0.05 * i))) for i in range(_STEPS)}, reverse=True
    )

    def make(target: float, minimum: int, maximum: int) -> KedaRate:
        return KedaRate(replica, settings, target, minimum, maximum, behavior)

    target, minimum, _sim, met = _search(
        make, [float(t) for t in targets], counts, table, settings, static
    )
    maximum, final = _bounded(make, target, minimum, static, counts, table, settings)
    return Choice(
        {
            "requestRateTargetValue": int(target),
            "minReplicaCount": minimum,
            "maxReplicaCount": maximum,
            "window": f"{settings.keda_window:g}s",
            "granularity": "1s",
            "behavior": behavior.to_dict(),
        },
        final,
        met,
    )
