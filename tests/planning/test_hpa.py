"""The HPA's decision against scenarios computed by hand from the documented algorithm
(kubernetes/website horizontal-pod-autoscale.md; kubernetes/kubernetes
pkg/controller/podautoscaler)."""

from __future__ import annotations

from servesize.planning.hpa import (
    DEFAULT_BEHAVIOR,
    Behavior,
    Controller,
    ScalingPolicy,
    ScalingRules,
    cpu_replicas,
    external_replicas,
)


def test_a_step_in_load_scales_by_the_ratio_of_utilisation_to_target() -> None:
    # 4 pods at 140% of their request, target 70%: ratio 2.0 -> ceil(2.0 x 4) = 8
    assert cpu_replicas(4, [1.4] * 4, 0, 70, 0.1) == 8
    # at 35%: ratio 0.5 -> 2
    assert cpu_replicas(4, [0.35] * 4, 0, 70, 0.1) == 2


def test_within_the_tolerance_nothing_changes() -> None:
    # 76% against 70%: ratio 1.0857, within 0.1 of 1
    assert cpu_replicas(4, [0.76] * 4, 0, 70, 0.1) == 4
    # 78% against 70%: ratio 1.114 -> ceil(4.457) = 5
    assert cpu_replicas(4, [0.78] * 4, 0, 70, 0.1) == 5
    # the average is a whole percentage before the ratio: 76.9% reads as 76%
    assert cpu_replicas(4, [0.769] * 4, 0, 70, 0.1) == 4


def test_pods_not_yet_ready_count_at_zero_when_scaling_up() -> None:
    # 2 ready pods at 140%, 2 not ready: unadjusted ratio 2.0 says up; counted at 0% the
    # ratio is 280 / 4 / 70 = 1.0, within the tolerance: no change
    assert cpu_replicas(4, [1.4, 1.4], 2, 70, 0.1) == 4
    # 2 ready at 210%: rebalanced 420 / 4 / 70 = 1.5 -> ceil(1.5 x 4) = 6
    assert cpu_replicas(4, [2.1, 2.1], 2, 70, 0.1) == 6
    # scaling down, pods set aside are left out: 2 ready at 35% -> ceil(0.5 x 2) = 1
    assert cpu_replicas(4, [0.35, 0.35], 2, 70, 0.1) == 1
    # no pod with a metric: the controller cannot compute a count
    assert cpu_replicas(3, [], 3, 70, 0.1) is None


def test_an_external_average_value_metric_divides_by_the_target() -> None:
    assert external_replicas(5, 100.0, 10.0, 0.1) == 10
    assert external_replicas(10, 105.0, 10.0, 0.1) == 10  # ratio 1.05: tolerated
    assert external_replicas(10, 50.0, 10.0, 0.1) == 5


def test_scale_up_is_limited_by_the_default_policies() -> None:
    hpa = Controller(DEFAULT_BEHAVIOR, 1, 100)
    # from 2: max(100% -> 4, +4 pods -> 6) = 6 within 15 s
    assert hpa.decide(0, 2, 20) == 6
    # the next sync is a new period: max(12, 10) = 12
    assert hpa.decide(15, 6, 20) == 12
    assert hpa.decide(30, 12, 20) == 20


def test_select_policy_min_takes_the_smallest_step() -> None:
    up = ScalingRules(0, (ScalingPolicy("Percent", 100, 60), ScalingPolicy("Pods", 1, 60)), "Min")
    hpa = Controller(Behavior(scale_up=up), 1, 100)
    assert hpa.decide(0, 4, 10) == 5
    # within the same 60 s the one pod allowed was added: no more
    assert hpa.decide(15, 5, 10) == 5
    assert hpa.decide(45, 5, 10) == 5
    # 60 s after it the event no longer counts
    assert hpa.decide(60, 5, 10) == 6


def test_scale_down_is_held_by_the_stabilization_window() -> None:
    hpa = Controller(DEFAULT_BEHAVIOR, 1, 100)
    assert hpa.decide(0, 10, 10) == 10
    # load falls: every later proposal is 2, but 10 was proposed within the last 300 s
    for now in range(15, 300, 15):
        assert hpa.decide(now, 10, 2) == 10
    # at 300 s the proposal of t = 0 is out of the window
    assert hpa.decide(300, 10, 2) == 2


def test_scale_down_policies_round_down_and_disabled_holds() -> None:
    down = ScalingRules(0, (ScalingPolicy("Percent", 10, 60),), "Max")
    hpa = Controller(Behavior(scale_down=down), 1, 100)
    assert hpa.decide(0, 10, 1) == 9  # int(10 x 0.9)
    assert hpa.decide(15, 9, 1) == 9  # 10% of the period's start (10) already removed
    off = Controller(Behavior(scale_down=ScalingRules(0, (), "Disabled")), 1, 100)
    assert off.decide(0, 10, 1) == 10


def test_min_and_max_bound_the_count() -> None:
    hpa = Controller(DEFAULT_BEHAVIOR, 2, 5)
    assert hpa.decide(0, 4, 9) == 5
    assert hpa.decide(15, 1, 1) == 2  # below the minimum: set to it at once
    assert hpa.decide(30, 7, 7) == 5  # above the maximum
