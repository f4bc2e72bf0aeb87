"""The plan's latency model calibrated against the profile's own runs at the
recommended allocation: slower measured tails scale the table up, never down."""

from __future__ import annotations

from typing import Any

import pytest

from servesize.planning.replica import LatencyTable, Replica, tail_factor
from servesize.profiling.objective import parse_slo
from servesize.profiling.queueing import ServiceModel

from .helpers import sized_figures

P90 = parse_slo("p90=40ms")


def _model() -> ServiceModel:
    figures = sized_figures()
    assert figures.sizing_model is not None
    return ServiceModel.from_details(figures.sizing_model)


def _run(model: ServiceModel, rate: float, ratio: float, **row: Any) -> dict[str, Any]:
    """A measured sizing row at 0.5 cores, ``ratio`` times the model's p90 at ``rate``."""
    predicted = model.percentile_ms(0.5, 1, rate, "90")
    return {
        "source": "measured",
        "cpu": 0.5,
        "workers": 1,
        "measuredQueriesPerSecond": rate,
        "objectiveLatencyInMs": predicted * ratio,
        "n": 400,
        **row,
    }


def test_runs_slower_than_the_model_scale_it_by_their_mean_ratio() -> None:
    model = _model()
    rows = [_run(model, 10.0, 1.5), _run(model, 30.0, 2.0)]
    factor, runs = tail_factor(rows, model, 0.5, 1, P90)
    assert runs == 2
    # the geometric mean of 1.5 and 2.0, equal weights
    assert factor == pytest.approx((1.5 * 2.0) ** 0.5, rel=1e-3)


def test_runs_the_model_over_predicts_leave_it_as_fitted() -> None:
    model = _model()
    factor, runs = tail_factor([_run(model, 10.0, 0.6)], model, 0.5, 1, P90)
    assert (factor, runs) == (1.0, 1)


def test_only_trusted_runs_of_the_allocation_with_enough_requests_count() -> None:
    model = _model()
    ignored = [
        _run(model, 10.0, 3.0, cpu=0.4),  # another allocation
        _run(model, 10.0, 3.0, workers=2),
        _run(model, 10.0, 3.0, untrusted=["the machine was busy"]),
        _run(model, 10.0, 3.0, fellBehind=True),
        _run(model, 10.0, 3.0, n=40),  # too few requests to say much of a tail
        _run(model, 10.0, 3.0, source="predicted"),
        _run(model, 10.0, 3.0, objectiveLatencyInMs=None),
    ]
    assert tail_factor(ignored, model, 0.5, 1, P90) == (1.0, 0)


def test_a_slower_tail_lowers_the_rate_a_replica_carries_within_the_objective() -> None:
    figures = sized_figures()
    plain = Replica.from_figures(figures)
    model = plain.model
    # the profile measured its p90 twice the model's at 30/s, with 600 requests
    figures.sizing = [_run(model, 30.0, 2.0, n=600)]
    calibrated = Replica.from_figures(figures)
    assert calibrated.tail == pytest.approx(2.0, rel=1e-3)
    assert calibrated.to_dict()["tailRuns"] == 1
    within = LatencyTable(calibrated).rate_within(0.9)
    assert within < LatencyTable(plain).rate_within(0.9)
