"""The fleet simulated under an autoscaler: the reaction to a step, readiness, cost."""

from __future__ import annotations

import numpy as np
import pytest

from servesize.planning.fleet import simulate
from servesize.planning.hpa import DEFAULT_BEHAVIOR
from servesize.planning.replica import LatencyTable, Replica
from servesize.planning.scalers import Fixed, HpaCpu, KedaRate
from servesize.planning.settings import PlanSettings

from .helpers import sized_figures


@pytest.fixture(scope="module")
def table() -> LatencyTable:
    return LatencyTable(Replica.from_figures(sized_figures(cores=1.0, cold_start=10.0)))


def _step(high: float = 95.0) -> np.ndarray:
    # 10 requests a second for 5 minutes, then ``high`` (10 ms of CPU each, 1 core)
    return np.array([10.0] * 300 + [high] * 300)


def test_a_step_reaches_the_hpa_after_its_metric_window_and_delay(table: LatencyTable) -> None:
    s = PlanSettings()
    hpa = HpaCpu(table.replica, s, 30, 1, 20, DEFAULT_BEHAVIOR)
    sim = simulate(hpa, _step(), table, s, timeline=True)
    rows = {row["t"]: row for row in sim.rows}
    # before the step: 10% of the core used, ratio 10/30: one replica
    assert rows[285]["desiredReplicas"] == 1
    assert rows[285]["cpuUtilization"] == pytest.approx(10.0)
    # at 300 s the window read ends 7.5 s earlier: nothing of the step is seen yet
    assert rows[300]["desiredReplicas"] == 1
    # at 315 s the window [292.5, 307.5) holds 8 s at 10% and 7 s at 95%: 49%, ratio
    # 49/30 = 1.63 -> ceil(1.63 x 1) = 2
    assert rows[315]["cpuUtilization"] == pytest.approx(49.7, abs=0.1)
    assert rows[315]["desiredReplicas"] == 2
    # the new pod is ready after its 10 s cold start, not before
    assert sim.ready[324] == 1
    assert sim.ready[325] == 2
    # at 330 s the window saw one pod at 95%; the new one is ready but its window began
    # before it was: set aside at 0% -> int(95 / 2) = 47%, ratio 1.57 -> ceil(3.13) = 4
    assert rows[330]["desiredReplicas"] == 4
    # at steady state the utilisation is near the target (within the tolerance)
    assert rows[585]["cpuUtilization"] <= 30.0 * 1.1 + 1.0


def test_while_new_pods_start_the_ready_ones_carry_the_burst(table: LatencyTable) -> None:
    s = PlanSettings()
    hpa = HpaCpu(table.replica, s, 30, 1, 20, DEFAULT_BEHAVIOR)
    sim = simulate(hpa, _step(), table, s)
    # right after the step one replica takes 95/s at 10 ms a request: predicted far
    # worse than once the fleet has grown
    early = sim.percentile_ms(slice(300, 325))
    late = sim.percentile_ms(slice(500, 600))
    assert early > 2 * late


def test_a_static_fleet_costs_its_replicas_for_the_whole_trace(table: LatencyTable) -> None:
    counts = _step()
    sim = simulate(Fixed(3), counts, table, PlanSettings())
    assert sim.replica_hours == pytest.approx(3 * counts.size / 3600)
    assert set(np.unique(sim.ready)) == {3.0}


def test_keda_scales_on_requests_per_replica_over_its_window(table: LatencyTable) -> None:
    s = PlanSettings()
    keda = KedaRate(table.replica, s, 10.0, 1, 20, DEFAULT_BEHAVIOR)
    sim = simulate(keda, _step(40.0), table, s, timeline=True)
    rows = {row["t"]: row for row in sim.rows}
    assert rows[285]["requestRate"] == 10
    assert rows[285]["desiredReplicas"] == 1
    # 15 s after the step the window holds 45 s at 10/s and 15 s at 40/s: 17.5 -> 18,
    # ratio 1.8 -> ceil(18 / 10) = 2
    assert rows[315]["requestRate"] == 18
    assert rows[315]["desiredReplicas"] == 2
    # a minute after the step the window holds only the new rate: ceil(40 / 10) = 4
    assert rows[360]["requestRate"] == 40
    assert rows[360]["desiredReplicas"] == 4


def test_seconds_without_a_ready_pod_or_with_a_backlog_miss(table: LatencyTable) -> None:
    # one replica, ten times its capacity for 10 s: a backlog, every second missed
    capacity = table.capacity
    counts = np.concatenate(
        [np.full(30, capacity * 0.2), np.full(10, capacity * 3), np.full(30, 1.0)]
    )
    sim = simulate(Fixed(1), counts, table, PlanSettings())
    assert sim.saturated[30:40].all()
    assert sim.within[30:40].max() == 0.0
    assert not sim.saturated[:30].any()
