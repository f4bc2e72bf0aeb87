"""The queueing model's CPU quota (enforced exactly, or at the kernel's tick) and the
cost of a request after an idle gap.

Small hand-checkable cases (0.2 cores: 20 ms of CPU a 100 ms period; requests that
burn a full core): what the model answers is what CFS bandwidth control does by its
documented rules (docs/profiling.md, "What is predicted"); how the kernel treated real
bursts is measured by bench/quota_burst.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from servesize.profiling.queueing import Quirks, ServiceModel, _simulate


def latencies_ms(arrivals_ms: list[float], work_ms: float, tick_ms: float) -> list[float]:
    arrivals = np.asarray(arrivals_ms) / 1000.0
    work = np.full(arrivals.size, work_ms / 1000.0)
    quirks = Quirks(tick=tick_ms / 1000.0)
    lat = _simulate(arrivals, work, np.ones(arrivals.size), 0.2, 1, 0.1, quirks)
    return [round(float(v) * 1000.0, 6) for v in lat]


def test_an_exact_quota_stops_a_burst_when_it_is_spent() -> None:
    # four 4.4 ms requests fit in 20 ms; the fifth has 2.4 ms by then, 2.0 ms left
    # after the refill at 100 ms, and the sixth follows it
    assert latencies_ms([0.0] * 6, 4.4, 0.0) == pytest.approx([4.4, 8.8, 13.2, 17.6, 102.0, 106.4])


def test_a_tick_lets_a_burst_overrun_and_the_next_period_repays_it() -> None:
    # spent at 20 ms, noticed at the 3 ms tick at 21: the fifth ran 1 ms on credit,
    # which the refill at 100 ms takes back (19 ms left for what follows)
    assert latencies_ms([0.0] * 6, 4.4, 3.0) == pytest.approx([4.4, 8.8, 13.2, 17.6, 101.0, 105.4])
    # a debt is repaid: the fifth and sixth then spend 1.0 + 4.4 ms of the 19, so a
    # burst of four at 110 ms has 13.6 ms: three fit, the fourth is noticed at the tick
    # at 126 (2.4 ms over) and ends after the refill at 200, which repays that
    late = latencies_ms([0.0] * 6 + [110.0] * 4, 4.4, 3.0)[6:]
    assert late == pytest.approx([4.4, 8.8, 13.2, 91.6])


def test_a_request_ending_with_the_quota_spent_leaves_the_cgroup_throttled() -> None:
    # five 4.2 ms requests: the fifth ends at the tick at 21 ms, 1 ms over: the cgroup
    # is throttled then, so one arriving at 30 ms starts at the refill (19 ms left)
    assert latencies_ms([0.0] * 5 + [30.0], 4.2, 3.0)[5] == pytest.approx(74.2)
    # after idle periods the quota is whole again, and no more than whole: at 251 ms
    # the fifth ends at the tick at 272 (1 ms over); the sixth, queued, runs on to the
    # tick at 273 and ends after the refill at 300, which repays the 2 ms
    after = latencies_ms([0.0] * 5 + [251.0] * 6, 4.2, 3.0)[5:]
    assert after == pytest.approx([4.2, 8.4, 12.6, 16.8, 21.0, 52.2])


def test_a_tick_of_zero_is_the_exact_quota_and_the_tick_is_stored() -> None:
    details = {"serviceTimesMs": [4.4] * 10, "cpuFraction": 1.0, "quotaTickInMs": 4.0}
    model = ServiceModel.from_details(details)
    assert model.tick == pytest.approx(0.004)
    assert model.at_speed(1.2).tick == model.tick
    assert model.with_cpu_fraction(0.9).tick == model.tick
    assert ServiceModel.from_details({**details, "quotaTickInMs": None}).tick == 0.0
    # a tick can only let through what an exact quota holds back
    strict = ServiceModel.from_details({**details, "quotaTickInMs": None})
    for rate in (20.0, 35.0, 42.0):
        assert model.percentile_ms(0.2, 1, rate, "90") <= strict.percentile_ms(0.2, 1, rate, "90")


def test_a_request_after_an_idle_gap_costs_more_and_one_after_another_does_not() -> None:
    # 4 ms requests, up to half again as much after a long idle gap, 20 ms to cool: the
    # first finds the service cold, the second (queued behind it) hot, the third cold
    # again after a second's idle, the fourth after 20 ms of idle partly so
    arrivals = np.array([0.0, 0.0, 1.0, 1.026])
    factors: list[float] = []
    quirks = Quirks(cold_extra=0.5, cool_seconds=0.02)
    lat = _simulate(arrivals, np.full(4, 0.004), np.ones(4), 1.0, 1, 0.1, quirks, factors)
    partly = 1.0 + 0.5 * (1.0 - math.exp(-1.0))
    assert factors == pytest.approx([1.5, 1.0, 1.5, partly])
    assert (lat * 1000.0).tolist() == pytest.approx([6.0, 10.0, 6.0, 4.0 * partly])
    # without a cooling time there is no cold cost, whatever the extra
    plain = _simulate(arrivals, np.full(4, 0.004), np.ones(4), 1.0, 1, 0.1, Quirks(cold_extra=0.5))
    assert (plain * 1000.0).tolist() == pytest.approx([4.0, 8.0, 4.0, 4.0])
    # and the model carries it to the same service at another speed or CPU figure
    model = ServiceModel(work=(0.004,), cold_extra=0.5, cool_seconds=0.02)
    assert model.at_speed(1.5).cold_extra == 0.5
    assert model.with_cpu_fraction(0.8).cool_seconds == 0.02
