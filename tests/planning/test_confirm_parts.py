"""The confirmation's pure parts: dealing a window's arrivals to replicas as a random
load balancer would, one percentile over several replicas' histograms, and the one
decision over all their requests."""

from __future__ import annotations

import numpy as np
import pytest

from servesize.load import LoadResult
from servesize.planning.confirm import (
    judge_replicas,
    merged_percentile,
    order_statistic_ranks,
    percentile_interval,
    split_window,
)
from servesize.profiling.sizing.decision import Design


def test_each_replica_gets_the_simulated_fleets_share_of_the_window() -> None:
    rng = np.random.default_rng(0)
    arrivals = np.sort(rng.uniform(0, 200, 40_000))  # 200/s for 200 s
    simulated = np.full(60, 8.0)  # the simulation had 8 ready replicas
    parts = split_window(arrivals, 100.0, 60.0, simulated, 2, seed=1)
    assert len(parts) == 2
    # each real replica sees what one of the 8 simulated ones did: 200/8 = 25/s
    for part in parts:
        assert len(part) / 60.0 == pytest.approx(25.0, rel=0.1)
        assert part.min() >= 0.0
        assert part.max() < 60.0
        assert np.all(np.diff(part) >= 0)
    # no arrival is sent twice, and all come from the window
    both = np.sort(np.concatenate(parts)) + 100.0
    assert np.isin(both, arrivals).all()


def test_when_the_simulation_had_fewer_replicas_nothing_is_thinned() -> None:
    arrivals = np.arange(0.0, 60.0, 0.1)
    parts = split_window(arrivals, 0.0, 60.0, np.ones(60), 1, seed=1)
    assert len(parts[0]) == len(arrivals)


def _result(histogram: list[tuple[float, int]], p90: float | None = None) -> LoadResult:
    return LoadResult({"latencyPercentile90InMs": p90}, [], histogram)


def test_one_replica_uses_its_exact_percentile() -> None:
    assert merged_percentile([_result([(10.0, 5)], p90=7.25)], 90.0) == 7.25


def test_several_replicas_merge_their_histograms() -> None:
    # 90 requests up to 10 ms on one replica, 10 up to 100 ms on the other: the p90 is
    # at the top of the 10 ms bucket, the p95 inside the 100 ms one
    a = _result([(10.0, 90)])
    b = _result([(100.0, 10)])
    assert merged_percentile([a, b], 90.0) == pytest.approx(10.0)
    p95 = merged_percentile([a, b], 95.0)
    assert p95 is not None
    assert 10.0 < p95 < 100.0
    assert merged_percentile([_result([]), _result([])], 90.0) is None


def _replica(windows: list[tuple[int, int]]) -> LoadResult:
    rows = [{"queries": n, "queriesOverThreshold": k} for n, k in windows]
    metrics = {
        "totalQueries": sum(n for n, _ in windows),
        "queriesOverThreshold": sum(k for _, k in windows),
    }
    return LoadResult(metrics, rows, [])


P99 = Design.of("99", confidence=0.95, indifference=2.0)


def test_the_replicas_requests_are_judged_together() -> None:
    # 150 requests in 15 s on each of two replicas, none over the limit: too few on one
    # to call a p99 met, enough together (the defaults need 197)
    quiet = [(10, 0)] * 15
    alone = judge_replicas([_replica(quiet)], P99)
    both = judge_replicas([_replica(quiet), _replica(quiet)], P99)
    assert alone.outcome == "undecided"
    assert (both.n, both.over) == (300, 0)
    assert both.outcome == "met"
    # 6 of 300 over the limit, twice the 1% a p99 allows: a miss
    slow = [(10, 0)] * 9 + [(10, 1)] * 6
    assert judge_replicas([_replica(slow), _replica(quiet)], P99).outcome == "missed"


def test_exceedances_clustered_in_a_few_seconds_count_for_less() -> None:
    # the same 6 of 1200 over the limit (0.5%), spread out or all in one second
    spread = [(20, 1 if i % 10 == 0 else 0) for i in range(60)]
    burst = [(20, 6 if i == 30 else 0) for i in range(60)]
    calm = judge_replicas([_replica(spread)], P99)
    clustered = judge_replicas([_replica(burst)], P99)
    assert calm.over == clustered.over == 6
    assert clustered.dispersion > calm.dispersion
    assert calm.outcome == "met"
    assert clustered.outcome != "met"


@pytest.mark.parametrize(("n", "share"), [(100, 0.5), (700, 0.99), (3000, 0.99), (1000, 0.9)])
def test_the_measured_percentiles_interval_holds_the_true_one_as_often_as_it_says(
    n: int, share: float
) -> None:
    """Outcome, not construction: 4,000 samples of n lognormal latencies; the interval's
    order statistics hold the distribution's true quantile in at least 95% of them
    (minus three binomial standard errors of the count, so it fails on a real shortfall,
    not by chance) and not far above it (a needlessly wide interval says little)."""
    ranks = order_statistic_ranks(n, share, 0.95)
    assert ranks is not None
    low, high = ranks
    assert 1 <= low < high <= n
    rng = np.random.default_rng(n)
    runs = 4000
    samples = np.sort(rng.lognormal(2.0, 0.8, (runs, n)), axis=1)
    truth = float(np.exp(2.0 + 0.8 * _normal_quantile(share)))
    held = np.mean((samples[:, low - 1] <= truth) & (truth <= samples[:, high - 1]))
    error = 3 * (0.95 * 0.05 / runs) ** 0.5
    assert 0.95 - error <= held <= 0.995, held


def test_a_p99_of_300_requests_has_no_interval_and_a_larger_one_a_narrow_band() -> None:
    # the largest of 300 is beyond the p99 only with probability 1 - 0.99**300 = 95.1%:
    # no pair of order statistics bounds it at 95% confidence on both sides
    assert order_statistic_ranks(300, 0.99, 0.95) is None
    low, high = order_statistic_ranks(10_000, 0.99, 0.95) or (0, 0)
    assert 9_870 <= low < 9_900 < high <= 9_930


def test_the_interval_is_read_from_the_replicas_merged_histograms() -> None:
    # 1,000 requests: 980 at 10 ms and 20 spread over the buckets up to 100 ms
    spread = [(10.0 * 10 ** (i / 20), 1) for i in range(1, 21)]
    one = _result([(10.0, 490), *spread[:10]])
    two = _result([(10.0, 490), *spread[10:]])
    interval = percentile_interval([one, two], 99.0, 0.95)
    assert interval is not None
    low, high = interval
    # p99 is the 990th request: in the spread; the interval brackets it
    p99 = merged_percentile([one, two], 99.0)
    assert p99 is not None
    assert 10.0 < low <= p99 <= high <= 100.0
    assert percentile_interval([_result([(10.0, 50)])], 99.0, 0.95) is None


def _normal_quantile(p: float) -> float:
    """The standard normal's quantile by bisection on erf (no scipy in the test deps)."""
    import math

    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def test_a_slower_cpu_makes_the_replayed_prediction_slower_and_scales_its_cpu() -> None:
    from servesize.planning.confirm import _at_speed, _replayed_prediction
    from servesize.planning.replica import Replica

    from .helpers import sized_figures

    replica = Replica.from_figures(sized_figures(cores=0.5, service_ms=10.0))
    rng = np.random.default_rng(5)
    schedules = [np.sort(rng.uniform(0, 60, 1500))]  # 25/s on 0.5 cores of 10 ms
    at_speed = _replayed_prediction(replica, schedules, 99.0, 1)
    same = _replayed_prediction(_at_speed(replica, 1.0), schedules, 99.0, 1)
    slower = _replayed_prediction(_at_speed(replica, 1.7), schedules, 99.0, 1)
    assert at_speed is not None
    assert same is not None
    assert slower is not None
    assert same == pytest.approx(at_speed)
    # 1.7x the work at 25/s under 0.5 cores: 85% of the quota, queueing far beyond 1.7x
    assert slower > 1.7 * at_speed
    assert _at_speed(replica, 1.7).cpu_per_query == pytest.approx(replica.cpu_per_query * 1.7)


def _missed(slowdowns: list[float]) -> str:
    from servesize.planning.confirm import _note
    from servesize.profiling.sizing.decision import Decision
    from servesize.workspace import PlanConfirmation

    info = PlanConfirmation(
        predicted_ms=40.0, measured_ms=120.0, replicas=1, met=False,
        machine_slowdown=float(np.median(slowdowns)), machine_slowdowns=slowdowns,
    )  # fmt: skip
    decision = Decision("missed", 3000, 300, 10.0, 5.0, 0.95)
    return _note(info, 40.0, decision, 0.004)


def test_a_confirmation_at_speed_but_for_a_spell_names_the_slow_seconds() -> None:
    spell = [1.0] * 56 + [1.6, 1.9, 1.4, 1.3]  # the median at speed, four slow seconds
    assert "in 4 of its 60 seconds the CPU ran more than 1.25x slower" in _missed(spell)
    # one or two slow seconds are the host's usual: nothing said
    assert "seconds the CPU ran" not in _missed([1.0] * 58 + [1.6, 1.9])
    # a slow median is named as before, not counted
    slow = _missed([1.4] * 60)
    assert "the CPU ran 1.40x slower than at its fastest" in slow
    assert "seconds the CPU ran" not in slow
