"""The plan checked on the trace's own arrival times (planning/replay.py): it agrees with
the smoothed table on Poisson traffic and sees the bursts the table cannot."""

from __future__ import annotations

import math

import numpy as np
import pytest

from servesize.planning.replay import check_on_trace, replica_latencies_ms
from servesize.planning.replica import LatencyTable, Replica

from .helpers import poisson_arrivals, sized_figures


@pytest.fixture(scope="module")
def replica() -> Replica:
    # 10 ms of CPU a request on 1 core, p90 <= 40 ms
    return Replica.from_figures(sized_figures(cores=1.0))


def test_on_poisson_arrivals_it_agrees_with_the_table(replica: Replica) -> None:
    table = LatencyTable(replica)
    rate = 60.0  # 60% of the core
    arrivals = poisson_arrivals([(600.0, rate)], seed=5)
    check = check_on_trace(replica, arrivals, np.ones(600), seed=1)
    assert check.latency_ms.size == arrivals.size
    smoothed = float(table.within(np.array([rate]))[0])
    # one replica's queue, 36,000 requests: the two differ by the model's sampling only
    assert check.attainment == pytest.approx(smoothed, abs=0.02)
    predicted = table.mixture_percentile(np.array([rate]), np.array([1.0]))
    assert check.percentile_ms(0, 600) == pytest.approx(predicted, rel=0.15)


def test_bursts_within_each_second_queue_where_the_smoothed_rate_does_not(
    replica: Replica,
) -> None:
    # 40 requests a second, every one of them in the second's first 100 ms: 40% of the
    # core on average, four times the core while they arrive
    seconds = np.repeat(np.arange(300.0), 40)
    arrivals = seconds + np.tile(np.linspace(0.0, 0.1, 40, endpoint=False), 300)
    table = LatencyTable(replica)
    smoothed = float(table.within(np.array([40.0]))[0])
    check = check_on_trace(replica, arrivals, np.ones(300), seed=1)
    assert smoothed > 0.95
    # a clump of 40 x 10 ms needs ~400 ms: most of each clump waits past 40 ms
    assert check.attainment < 0.3
    assert check.minutes_share() == 0.0
    worst = check.worst_minute()
    assert worst is not None
    assert worst["predictedPercentileMs"] is not None
    assert worst["predictedPercentileMs"] > 200.0


def test_arrivals_go_to_ready_pods_and_none_ready_is_over_the_limit(replica: Replica) -> None:
    arrivals = poisson_arrivals([(60.0, 150.0)], seed=2)
    ready = np.array([0.0] * 10 + [3.0] * 50)
    check = check_on_trace(replica, arrivals, ready, seed=4)
    before = arrivals < 10.0
    assert np.all(np.isinf(check.latency_ms[before]))
    # 150/s over three pods of 100/s capacity each: each queue is stable, answers finite
    assert np.all(np.isfinite(check.latency_ms[~before]))
    assert check.attainment <= 1.0 - float(before.mean()) + 1e-9
    # the same 150/s on one pod cannot keep up: the queue grows without end
    one = check_on_trace(replica, arrivals[~before] - 10.0, np.ones(50), seed=4)
    assert one.percentile_ms(40, 10) > 1000.0


def test_a_replica_queue_is_deterministic_and_includes_overhead_and_tail(replica: Replica) -> None:
    offsets = np.arange(0.0, 5.0, 0.5)  # one request every 500 ms: no queueing at all
    first = replica_latencies_ms(replica, offsets, seed=3)
    assert np.array_equal(first, replica_latencies_ms(replica, offsets, seed=3))
    work_ms = np.asarray(replica.model.work) * 1000.0
    low = (work_ms.min() + replica.model.overhead_ms) * replica.tail
    high = (work_ms.max() + replica.model.overhead_ms) * replica.tail
    assert np.all((first >= low - 1e-9) & (first <= high + 1e-9))
    assert math.isnan(check_on_trace(replica, offsets, np.ones(5), 1).percentile_ms(100, 10))
