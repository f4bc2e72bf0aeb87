"""The verdict's rules on the figures a run reports (pure functions: real numbers in,
reasons out); the rules against real services are in test_trust.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from servesize.profiling.phases import PhaseFigures
from servesize.profiling.settings import ProfileSettings
from servesize.profiling.verdict import allowed_count, judge_run, verdict

SETTINGS = ProfileSettings()


def _metrics(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "durationSeconds": 20.0,
        "requestedQueriesPerSecond": 30.0,
        "totalQueries": 600,
        "scheduledQueries": 600,
        "backlogAtScheduleEnd": 1,
        "lateSendShare": 0.0,
        "errorsByKind": {},
        "successRate": 1.0,
    }
    return {**base, **changes}


def _judge(metrics: dict[str, Any], figures: PhaseFigures | None = None) -> list[str]:
    return judge_run(
        metrics, settings=SETTINGS, min_duration=20.0, min_queries=500, figures=figures
    )


def test_a_good_run_has_no_reason() -> None:
    assert _judge(_metrics()) == []
    assert verdict([], capacity_stable=True) == ("VALID", [])


def test_poisson_counts_are_not_judged_against_the_nominal_rate() -> None:
    # 2,000 realised Poisson schedules of 20 s at 30/s: their counts spread by
    # sqrt(600) ~ 4% (a 5% band around the nominal rate failed about one in five),
    # and the last arrival falls before the end by an exponential gap
    rng = np.random.default_rng(11)
    failed = 0
    for _ in range(2000):
        arrivals = np.cumsum(rng.exponential(1 / 30, 1000))
        n = max(int(np.searchsorted(arrivals, 20.0)), 500)
        last_done = arrivals[n - 1] + 0.005
        run = _metrics(totalQueries=n, scheduledQueries=n, durationSeconds=last_done)
        run["measuredQueriesPerSecond"] = n / last_done
        failed += bool(_judge(run))
    assert failed <= 20  # < 1%: the duration rule's e^-5 allowance, nothing else


def test_each_rule_names_its_cause() -> None:
    reasons = _judge(
        _metrics(
            durationSeconds=10.0,
            totalQueries=300,
            scheduledQueries=320,
            lateSendShare=0.05,
            errorsByKind={"timeout": 20},
            backlogAtScheduleEnd=150,
        )
    )
    text = "\n".join(reasons)
    assert "lasted 10.0 s, less than the minimum 20 s" in text
    assert "sent 300 queries, fewer than the minimum 500" in text
    assert "5.0% of the measurement's requests more than 1 ms late" in text
    assert "only 300 of the 320 requests" in text
    assert "left 20 of the 300 requests of the measurement without a response" in text
    assert "could not keep up" in text
    assert "150 of the 320 requests sent (47%)" in text
    assert len(reasons) == 6
    validity, all_reasons = verdict(reasons, capacity_stable=False, extra=["x"])
    assert validity == "INVALID"
    assert all_reasons[-2:] == ["no step of the capacity search reached stable throughput", "x"]


@pytest.mark.parametrize(
    ("backlog", "sent", "fails"),
    [(20, 100, False), (21, 100, True), (30, 600, False), (31, 600, True)],
)
def test_the_backlog_allowance_is_five_percent_or_twenty(
    backlog: int, sent: int, fails: bool
) -> None:
    run = _metrics(backlogAtScheduleEnd=backlog, scheduledQueries=sent, totalQueries=sent)
    assert any("could not keep up" in r for r in _judge(run)) is fails


def test_a_stopped_run_has_no_backlog_to_judge() -> None:
    assert not any("keep up" in r for r in _judge(_metrics(backlogAtScheduleEnd=None)))


def _figures(seconds: float, cpu: float, waited: float) -> PhaseFigures:
    figures = PhaseFigures("measurement")
    figures.add(seconds, cpu, waited, 200, 10, 0.05, None)
    return figures


def test_contention_needs_both_a_share_of_the_time_and_a_stretch_of_the_work() -> None:
    busy = _judge(_metrics(), _figures(20.0, 4.0, 2.0))  # 10% of the time, 0.5 s/CPU-s
    assert len(busy) == 1
    assert busy[0].startswith("the machine was busy: during the measurement the service")
    assert "10.0% of the time (2.00 s, 0.50 s per CPU-second" in busy[0]
    assert _judge(_metrics(), _figures(20.0, 4.0, 0.15)) == []  # 0.75%: under 1%
    assert _judge(_metrics(), _figures(20.0, 8.0, 0.6)) == []  # 3%, but 0.075 s/CPU-s
    assert _judge(_metrics(), _figures(20.0, 0.0, 0.0)) == []


def test_the_busy_sentence_quotes_the_share_as_stored() -> None:
    figures = _figures(20.0, 4.0, 6.071)  # 30.355% of the time, stored as 0.3035
    stored = figures.to_details()["cpuContentionShare"]
    (busy,) = _judge(_metrics(), figures)
    assert f"other processes {stored:.1%} of the time" in busy


def test_phase_figures_keep_unmeasured_figures_absent() -> None:
    figures = PhaseFigures("confirmation")
    figures.add(1.0, 0.5, None, None, None, None, None)
    assert figures.to_details() == {}
    figures.add(1.0, 0.5, 0.02, 10, 5, 0.2, None)
    assert figures.to_details() == {
        "cpuContentionShare": 0.01,
        "cpuContentionSeconds": 0.02,
        "throttledShare": 0.5,
        "throttledSeconds": 0.2,
        "throttledPeriods": 5,
        "periods": 10,
    }
    assert math.isclose(figures.seconds, 2.0)


def test_late_and_unanswered_counts_are_judged_as_binomial_counts() -> None:
    # a generator 0.3% late (a quiet machine) sends 2 of 150 late about one run in 13;
    # a bare 1% rule failed those; more than a 1%-late generator shows 99 times in 100
    # still fails
    assert allowed_count(150, 0.01) == 5
    assert allowed_count(5000, 0.01) == 67  # 1.3%: the allowance shrinks with n
    assert allowed_count(10**6, 0.01) == pytest.approx(10_000 + 2.326 * math.sqrt(9_900), abs=1)
    short = {"durationSeconds": 5.0, "totalQueries": 150, "scheduledQueries": 150}
    assert _judge_short(_metrics(**short, lateSendShare=2 / 150)) == []
    assert "late" in " ".join(_judge_short(_metrics(**short, lateSendShare=6 / 150)))
    assert _judge_short(_metrics(**short, errorsByKind={"timeout": 3})) == []
    assert "without a response" in " ".join(
        _judge_short(_metrics(**short, errorsByKind={"timeout": 6}))
    )
    # the share rule still binds at length: 2% of 5,000 is far beyond chance
    assert "late" in " ".join(_judge(_metrics(totalQueries=5000, lateSendShare=0.02)))


def _judge_short(metrics: dict[str, Any]) -> list[str]:
    return judge_run(metrics, settings=SETTINGS, min_duration=5.0, min_queries=150)
