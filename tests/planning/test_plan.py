"""The planner on synthetic bursty arrivals: cheaper than the static fleet, within the
objective, and its record as the details carry it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from servesize.errors import InvalidInputError
from servesize.planning import PlanSettings, make_plan
from servesize.planning.choose import choose_hpa, static_replicas
from servesize.planning.rates import counts_per_second
from servesize.planning.replay import check_on_trace
from servesize.planning.replica import LatencyTable, Replica
from servesize.workspace import Autoscaling, Figures

from .helpers import poisson_arrivals, sized_figures


def _bursty() -> np.ndarray:
    # 40 minutes: a quiet base that rises and falls, with a 20 s burst of 4x every 10 min
    pieces: list[tuple[float, float]] = []
    for minute in range(40):
        base = 10.0 + 25.0 * math.sin(math.pi * minute / 40) ** 2
        if minute % 10 == 5:
            pieces += [(20, base), (20, base * 4), (20, base)]
        else:
            pieces.append((60, base))
    return poisson_arrivals(pieces, seed=5)


@pytest.fixture(scope="module")
def plan_figure() -> Autoscaling:
    return make_plan(sized_figures(), _bursty()).figure


def test_the_autoscaled_plan_costs_less_than_the_static_one_within_the_objective(
    plan_figure: Autoscaling,
) -> None:
    p = plan_figure.predicted
    assert p is not None
    assert p.replica_hours is not None
    assert p.static_replica_hours is not None
    assert p.replica_hours < p.static_replica_hours
    # the objective is p90: 90% of requests within 40 ms, and in 99% of the minutes
    assert p.required_attainment == 0.9
    assert p.attainment is not None
    assert p.attainment >= 0.9
    assert p.minutes_meeting_objective is not None
    assert p.minutes_meeting_objective >= 0.99


def test_the_static_fleet_carries_the_peak_minute(plan_figure: Autoscaling) -> None:
    p = plan_figure.predicted
    assert p is not None
    assert p.static_replicas is not None
    replica = Replica.from_figures(sized_figures())
    table = LatencyTable(replica)
    # the peak second of the bursts (~140/s) needs more than one replica's share
    assert p.static_replicas * table.rate_within(0.9) >= 35.0 * 4 * 0.5
    assert p.static_replicas <= plan_figure.hpa["maxReplicas"]  # type: ignore[index]


def test_the_record_has_the_names_others_rely_on(plan_figure: Autoscaling) -> None:
    details = Figures(autoscaling=plan_figure).to_details()["autoscaling"]
    assert set(details["hpa"]) >= {
        "targetCPUUtilizationPercentage",
        "minReplicas",
        "maxReplicas",
        "behavior",
    }
    assert set(details["keda"]) >= {"requestRateTargetValue", "minReplicaCount", "maxReplicaCount"}
    row = details["timeline"][1]
    assert set(row) >= {
        "t",
        "rate",
        "cpuUtilization",
        "desiredReplicas",
        "readyReplicas",
        "predictedPercentileMs",
    }
    assert details["timeline"][1]["t"] - details["timeline"][0]["t"] == 15
    assert set(details["predicted"]) >= {
        "replicaHours",
        "staticReplicas",
        "staticReplicaHours",
        "attainment",
        "minutesMeetingObjective",
        "worstMinute",
    }
    # round trip: what is stored reads back the same
    assert Figures.from_details({"autoscaling": details}).autoscaling == plan_figure


@pytest.mark.no_cover  # two searches of the HPA's settings: tracing would triple them
def test_a_lower_share_needs_no_more_replicas() -> None:
    arrivals = _bursty()
    strict = make_plan(
        sized_figures(), arrivals, settings=PlanSettings(attainment=0.99)
    ).figure.predicted
    loose = make_plan(sized_figures(), arrivals, settings=PlanSettings(attainment=0.9)).figure
    assert strict is not None
    assert loose.predicted is not None
    assert loose.predicted.replica_hours <= strict.replica_hours  # type: ignore[operator]


def _clumped(seconds: int = 1800, width: float = 0.4) -> np.ndarray:
    """A rate that rises and falls (8 to 28/s), each second's arrivals packed into its
    first ``width`` seconds: bursts shorter than any rate window."""
    rng = np.random.default_rng(4)
    pieces = []
    for second in range(seconds):
        rate = 8.0 + 20.0 * math.sin(math.pi * second / seconds) ** 2
        pieces.append(second + np.sort(rng.uniform(0.0, width, rng.poisson(rate))))
    return np.concatenate(pieces)


@pytest.mark.no_cover  # searches of the HPA's settings with a check on each arrival
def test_the_chosen_settings_hold_on_the_traces_own_arrivals() -> None:
    """Chosen on smoothed rates alone, the HPA's target leaves the clumped seconds
    queueing: on the arrivals fewer than 90% of requests are within the limit.  The
    plan's choice reaches 90% on the arrivals too, and still costs less than the
    static fleet, which holds on them as well."""
    arrivals = _clumped()
    figures, settings = sized_figures(), PlanSettings()
    replica = Replica.from_figures(figures)
    table = LatencyTable(replica)
    counts = counts_per_second(arrivals)
    static, _ = static_replicas(counts, table, settings)
    smoothed = choose_hpa(counts, table, settings, static)
    on_arrivals = check_on_trace(replica, arrivals, smoothed.simulation.ready, settings.seed)
    assert on_arrivals.attainment < 0.9
    plan = make_plan(figures, arrivals).figure.predicted
    assert plan is not None
    assert plan.attainment_on_arrivals is not None
    assert plan.attainment_on_arrivals >= 0.9
    assert plan.replica_hours is not None
    assert plan.static_replica_hours is not None
    assert plan.replica_hours < plan.static_replica_hours


def test_a_profile_without_a_sizing_cannot_be_planned() -> None:
    with pytest.raises(InvalidInputError, match="sizingModel"):
        make_plan(Figures(recommended_cpu=1.0, latency_objective="p90<=10ms"), [0.5, 1.0])
    with pytest.raises(InvalidInputError, match="autoscaler"):
        make_plan(sized_figures(), [0.5, 1.0], autoscaler="vpa")
    with pytest.raises(InvalidInputError, match="no requests"):
        make_plan(sized_figures(), [])


def _run_at(rate: float, outcome: str, **extra: object) -> dict[str, object]:
    """A sizing run at the replica's limits, as the details keep it (10 ms a request)."""
    return {
        "source": "measured", "cpu": 0.5, "workers": 1, "n": int(rate * 20),
        "measuredQueriesPerSecond": rate, "durationSeconds": 20.0,
        "utilizedCpu": rate * 0.01, "outcome": outcome, **extra,
    }  # fmt: skip


def test_a_replica_is_planned_no_further_than_past_the_rates_the_profile_measured() -> None:
    arrivals = _bursty()
    figures = sized_figures()
    # the highest met run counts; a missed one, or one not trusted, does not
    figures.sizing = [
        _run_at(5.0, "met"), _run_at(60.0, "missed"), _run_at(70.0, "met", untrusted=True)
    ]  # fmt: skip
    plan = make_plan(figures, arrivals)
    figure = plan.figure
    assert figure.replica is not None
    assert figure.predicted is not None
    assert figure.replica["measuredQueriesPerSecondWithinObjective"] == 5.0
    assert figure.replica["plannedQueriesPerSecondAtMost"] == 5.0  # 1x by default
    assert figure.replica["ratePerReplicaWithinObjective"] > 5.0  # the model's own
    assert figure.note is not None
    assert "planned to carry at most 5.0 requests/s, the most the profile measured" in figure.note
    assert "--setting beyond_measured=0" in figure.note
    # the requests of seconds a replica carries past the limit count as missed
    sim = plan.simulation
    loaded = sim.counts[sim.per_replica > 5.0].sum() / sim.counts.sum()
    assert loaded <= 1 - (figure.predicted.required_attainment or 1.0)
    # headroom under the measured rate: a lower limit, said as a multiple
    under = make_plan(figures, arrivals, settings=PlanSettings(beyond_measured=0.8)).figure
    assert under.replica is not None
    assert under.replica["plannedQueriesPerSecondAtMost"] == 4.0
    assert "at most 4.0 requests/s, 0.8x the 5.0/s the profile measured" in (under.note or "")
    # on the model alone: fewer replicas, each loaded past what was measured, and said
    model = make_plan(figures, arrivals, settings=PlanSettings(beyond_measured=0)).figure
    assert model.replica is not None
    assert model.predicted is not None
    assert model.replica["plannedQueriesPerSecondAtMost"] is None
    assert (model.predicted.static_replicas or 0) < (figure.predicted.static_replicas or 0)
    assert (model.predicted.replica_hours or 0) < (figure.predicted.replica_hours or 0)
    assert model.note is not None
    assert "the 5.0/s the profile measured meeting the objective" in model.note
    assert "model's extrapolation" in model.note
    assert "profile with --qps" in model.note
    # measured at a rate above what the model carries: nothing to limit, nothing to say
    figures.sizing = [_run_at(5.0, "met"), _run_at(80.0, "met")]
    again = make_plan(figures, arrivals).figure
    assert again.replica is not None
    assert again.replica["measuredQueriesPerSecondWithinObjective"] == 80.0
    assert "extrapolation" not in (again.note or "")
    assert "planned to carry at most" not in (again.note or "")
    # no run met at these limits: nothing to limit by, and the plan says what it rests on
    figures.sizing = [_run_at(60.0, "missed")]
    alone = make_plan(figures, arrivals).figure
    assert alone.replica is not None
    assert alone.replica["plannedQueriesPerSecondAtMost"] is None
    assert "no trusted run of the profile measured the objective met" in (alone.note or "")
