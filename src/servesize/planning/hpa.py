"""The HorizontalPodAutoscaler's decision, as the Kubernetes controller makes it.

Sources (read, not copied): the documented algorithm (kubernetes/website,
content/en/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale.md, "Algorithm
details", "Configurable scaling behavior") and the controller
(kubernetes/kubernetes, pkg/controller/podautoscaler/replica_calculator.go:
``GetResourceReplicas``, ``groupPods``, ``GetExternalPerPodMetricReplicas``;
horizontal.go: ``stabilizeRecommendationWithBehaviors``,
``convertDesiredReplicasWithBehaviorRate``, ``calculateScaleUpLimitWithScalingRules``,
``calculateScaleDownLimitWithBehaviors``).  What is simulated, per sync period:

* **CPU** (``cpu_replicas``): utilisation is usage over the container's request, averaged
  over the pods that have a valid metric.  Pods not ready, or ready for less than one
  metric window (within the CPU initialisation period), are set aside.  If the ratio to
  the target is within the tolerance (0.1) nothing changes; otherwise the desired count
  is ``ceil(ratio x ready pods)``.  When pods were set aside and the ratio says scale
  up, they are counted at 0% and the ratio recomputed; a recomputed ratio within the
  tolerance, or one that reverses the direction, changes nothing.
* **External metric of type AverageValue** (KEDA, ``external_replicas``): the total
  over ``target x current replicas``; outside the tolerance the desired count is
  ``ceil(total / target)``; readiness does not enter.
* **Behavior** (:class:`Controller`): the proposal is stabilised (the lowest proposal
  of the scale-up window and the highest of the scale-down window bound the current
  count), then limited by the policies of its direction over their periods (``Pods``:
  ``value`` pods, ``Percent``: ``value`` % of the count at the period's start, rounded
  up when adding and down when removing; ``selectPolicy`` ``Max``, ``Min`` or
  ``Disabled``), and by ``minReplicas``/``maxReplicas``.  Defaults as documented:
  scale-down window 300 s and 100% per 15 s; scale-up window 0 s and max(100%, 4 pods)
  per 15 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DEFAULT_BEHAVIOR",
    "Behavior",
    "Controller",
    "ScalingPolicy",
    "ScalingRules",
    "cpu_replicas",
    "external_replicas",
]

Select = Literal["Max", "Min", "Disabled"]


@dataclass(frozen=True)
class ScalingPolicy:
    """``type`` Pods or Percent: at most ``value`` of that per ``period_seconds``."""

    type: Literal["Pods", "Percent"]
    value: int
    period_seconds: int

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value, "periodSeconds": self.period_seconds}


@dataclass(frozen=True)
class ScalingRules:
    """One direction of ``behavior`` (``scaleUp`` or ``scaleDown``)."""

    stabilization_window_seconds: int
    policies: tuple[ScalingPolicy, ...]
    select_policy: Select = "Max"

    def to_dict(self) -> dict[str, Any]:
        return {
            "stabilizationWindowSeconds": self.stabilization_window_seconds,
            "selectPolicy": self.select_policy,
            "policies": [p.to_dict() for p in self.policies],
        }


@dataclass(frozen=True)
class Behavior:
    """``spec.behavior`` of an autoscaling/v2 HorizontalPodAutoscaler."""

    scale_up: ScalingRules = field(
        default_factory=lambda: ScalingRules(
            0, (ScalingPolicy("Percent", 100, 15), ScalingPolicy("Pods", 4, 15)), "Max"
        )
    )
    scale_down: ScalingRules = field(
        default_factory=lambda: ScalingRules(300, (ScalingPolicy("Percent", 100, 15),), "Max")
    )

    def to_dict(self) -> dict[str, Any]:
        return {"scaleUp": self.scale_up.to_dict(), "scaleDown": self.scale_down.to_dict()}


#: The behaviour Kubernetes applies when ``behavior`` is not set (the documented default).
DEFAULT_BEHAVIOR = Behavior()


def cpu_replicas(
    current: int,
    utilizations: list[float],
    set_aside: int,
    target_percent: int,
    tolerance: float,
) -> int | None:
    """Desired replicas from the CPU metric (``GetResourceReplicas``).

    ``utilizations``: usage over request of each pod with a valid metric; ``set_aside``:
    pods not yet ready (or whose metric predates readiness).  None when no pod has a
    metric (the controller cannot compute a count and leaves the scale alone).  As the
    controller does, the average utilisation is a whole percentage (truncated) before
    it is divided by the target's.
    """
    if not utilizations:
        return None
    ready = len(utilizations)
    ratio = _percent(sum(utilizations), ready) / target_percent
    if set_aside == 0 or ratio <= 1.0:
        if abs(1.0 - ratio) <= tolerance:
            return current
        return math.ceil(ratio * ready)
    # scale-up with pods set aside: they count at 0% of the target, damping the step
    counted = ready + set_aside
    rebalanced = _percent(sum(utilizations), counted) / target_percent
    if abs(1.0 - rebalanced) <= tolerance or rebalanced < 1.0:
        return current
    proposed = math.ceil(rebalanced * counted)
    return current if proposed < current else proposed


def _percent(total: float, pods: int) -> int:
    # usage over requests in whole percent, truncated (GetResourceUtilizationRatio);
    # the small epsilon keeps 0.7 x 100 from reading as 69
    return int(total * 100.0 / pods + 1e-9)


def external_replicas(current: int, total: float, target: float, tolerance: float) -> int:
    """Desired replicas from an external metric of type AverageValue
    (``GetExternalPerPodMetricReplicas``): ``total`` over all pods, ``target`` per pod."""
    if current <= 0:
        return math.ceil(total / target)
    ratio = total / (target * current)
    if abs(1.0 - ratio) <= tolerance:
        return current
    return math.ceil(total / target)


class Controller:
    """The behaviour's normalisation of a proposal, with its memory of past proposals
    and scale events (times in seconds of simulated time)."""

    def __init__(self, behavior: Behavior, min_replicas: int, max_replicas: int) -> None:
        self.behavior = behavior
        self.min_replicas = min_replicas
        self.max_replicas = max_replicas
        self._proposals: list[tuple[float, int]] = []
        self._ups: list[tuple[float, int]] = []
        self._downs: list[tuple[float, int]] = []

    def seed(self, now: float, replicas: int) -> None:
        """Remember ``replicas`` as proposed at ``now``: an HPA that ran before the trace
        started has recommendations in its windows (a scale-down waits for them)."""
        self._proposals.append((now, replicas))

    def decide(self, now: float, current: int, proposed: int | None) -> int:
        """The replica count the HPA sets at ``now`` (``current`` when it does not act)."""
        if current > self.max_replicas:
            desired = self.max_replicas
        elif current < self.min_replicas:
            desired = self.min_replicas
        elif proposed is None:
            return current
        else:
            stabilized = self._stabilize(now, current, proposed)
            desired = self._limit(now, current, stabilized)
        if desired > current:
            self._ups.append((now, desired - current))
        elif desired < current:
            self._downs.append((now, current - desired))
        return desired

    def _stabilize(self, now: float, current: int, proposed: int) -> int:
        up_window = self.behavior.scale_up.stabilization_window_seconds
        down_window = self.behavior.scale_down.stabilization_window_seconds
        up, down = proposed, proposed
        for at, value in self._proposals:
            if at > now - up_window:
                up = min(up, value)
            if at > now - down_window:
                down = max(down, value)
        keep = max(up_window, down_window)
        self._proposals = [(at, v) for at, v in self._proposals if at > now - keep]
        self._proposals.append((now, proposed))
        return min(max(current, up), down)

    def _changed(self, events: list[tuple[float, int]], now: float, period: int) -> int:
        return sum(change for at, change in events if at > now - period)

    def _limit(self, now: float, current: int, desired: int) -> int:
        if desired > current:
            cap = min(self.max_replicas, max(current, self._up_limit(now, current)))
            return min(desired, cap)
        if desired < current:
            floor = max(self.min_replicas, min(current, self._down_limit(now, current)))
            return max(desired, floor)
        return desired

    def _up_limit(self, now: float, current: int) -> int:
        rules = self.behavior.scale_up
        if rules.select_policy == "Disabled":
            return current
        limits = []
        for policy in rules.policies:
            start = (
                current
                - self._changed(self._ups, now, policy.period_seconds)
                + self._changed(self._downs, now, policy.period_seconds)
            )
            if policy.type == "Pods":
                limits.append(start + policy.value)
            else:
                limits.append(math.ceil(start * (1 + policy.value / 100)))
        return min(limits) if rules.select_policy == "Min" else max(limits)

    def _down_limit(self, now: float, current: int) -> int:
        rules = self.behavior.scale_down
        if rules.select_policy == "Disabled":
            return current
        limits = []
        for policy in rules.policies:
            start = (
                current
                - self._changed(self._ups, now, policy.period_seconds)
                + self._changed(self._downs, now, policy.period_seconds)
            )
            if policy.type == "Pods":
                limits.append(start - policy.value)
            else:
                limits.append(int(start * (1 - policy.value / 100)))
        # for scaling down the policy allowing the most change is the lowest count
        return max(limits) if rules.select_policy == "Min" else min(limits)
