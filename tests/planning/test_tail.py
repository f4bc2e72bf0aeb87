"""The plan's latency model calibrated against the profile's own runs at the
recommended allocation: slower measured tails scale the table up, never down."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from servesize.planning.replica import LatencyTable, Replica, cpu_at, speed_at, tail_factor
from servesize.profiling.objective import parse_slo
from servesize.profiling.queueing import ServiceModel
from servesize.workspace import Confirmation

from .helpers import sized_figures

P90 = parse_slo("p90=40ms")


def _model() -> ServiceModel:
    figures = sized_figures()
    assert figures.sizing_model is not None
    return ServiceModel.from_details(figures.sizing_model)


def _run(
    model: ServiceModel, rate: float, ratio: float, speed: float | None = None, **row: Any
) -> dict[str, Any]:
    """A measured sizing row at 0.5 cores, ``ratio`` times the model's p90 at ``rate``
    on a CPU ``speed`` times slower than the profile's fastest (recorded as its
    ``machineSlowdown``; None: not recorded)."""
    if speed is not None:
        row["machineSlowdown"] = speed
    predicted = model.at_speed(speed or 1.0).percentile_ms(0.5, 1, rate, "90")
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


def test_the_cpu_a_request_burns_is_read_at_the_planned_limits() -> None:
    """The HPA reads utilisation at the replica's limits: the CPU a request burnt in the
    runs there, weighted by their requests, not the profile's figure at its bound."""
    figures = sized_figures()  # 10 ms a request at the bound
    model = Replica.from_figures(figures).model
    timed = {"durationSeconds": 10.0}
    figures.sizing = [
        _run(model, 20.0, 1.0, utilizedCpu=0.24, **timed),  # 12 ms a request, 200 requests
        _run(model, 40.0, 1.0, utilizedCpu=0.52, **timed),  # 13 ms a request, 400 requests
        _run(model, 30.0, 1.0, utilizedCpu=0.9, cpu=1.0, **timed),  # another allocation
        _run(model, 30.0, 1.0, utilizedCpu=0.9, fellBehind=True, **timed),
    ]
    replica = Replica.from_figures(figures)
    assert replica.cpu_per_query == pytest.approx((0.24 + 0.52) / 60.0)
    assert replica.cpu_utilization(np.array([25.0]))[0] == pytest.approx(25 * 0.76 / 60 / 0.5)
    # without runs at the limits, the profile's figure
    figures.sizing = []
    assert Replica.from_figures(figures).cpu_per_query == pytest.approx(0.01)


def test_a_request_that_burns_more_than_its_time_drains_the_quota_faster() -> None:
    """Runs at the limits that burnt 15 ms of CPU a request against 10 ms of service
    time: the plan's model burns 1.5 cores a request while it runs, so at 0.5 cores it
    is throttled sooner, and its tail is longer than the profile's model's."""
    figures = sized_figures()
    profiled = Replica.from_figures(figures).model
    figures.sizing = [_run(profiled, 20.0, 1.0, utilizedCpu=0.3, durationSeconds=10.0)]
    planned = Replica.from_figures(figures).model
    mean = sum(profiled.work) / len(profiled.work)
    assert planned.cpu_fraction == pytest.approx(0.015 / mean)
    assert planned.cpu_per_query == pytest.approx(0.015)
    assert planned.percentile_ms(0.5, 1, 20.0, "90") > profiled.percentile_ms(0.5, 1, 20.0, "90")
    assert planned.capacity(0.5, 1) == pytest.approx(0.5 / 0.015)


def test_a_new_replica_starts_as_the_confirmation_did_under_its_limits() -> None:
    figures = sized_figures(cold_start=0.9)  # under the bound
    assert Replica.from_figures(figures).cold_start_seconds == pytest.approx(0.9)
    figures.confirmation = Confirmation(requested_cpu=0.5, cold_start_seconds=3.0)
    replica = Replica.from_figures(figures)
    assert replica.cold_start_seconds == pytest.approx(3.0)
    assert replica.to_dict()["coldStartSeconds"] == pytest.approx(3.0)


def test_with_max_slowdown_runs_on_a_slowed_cpu_calibrate_nothing_beside_runs_at_speed() -> None:
    model = _model()
    slowed = _run(model, 10.0, 3.0, speed=1.7)  # a neighbour's spell
    at_speed = _run(model, 20.0, 1.2, speed=1.03)
    # a profile that set max_slowdown sized for the host at its best: so does the plan
    factor, runs = tail_factor([slowed, at_speed], model, 0.5, 1, P90, 1.25)
    assert runs == 1
    assert factor == pytest.approx(1.2, rel=1e-3)
    # every run slowed: they are all there is, and they count
    factor, runs = tail_factor([slowed], model, 0.5, 1, P90, 1.25)
    assert runs == 1
    assert factor == pytest.approx(3.0, rel=1e-3)
    # by default (max_slowdown off) every run counts, slowed or not
    assert tail_factor([slowed, at_speed], model, 0.5, 1, P90)[1] == 2


def test_a_run_is_compared_with_the_model_at_the_speed_it_ran_at() -> None:
    model = _model()
    # exactly what the model predicts on a CPU 1.7x slower: no tail to add
    slowed = _run(model, 10.0, 1.0, speed=1.7)
    factor, runs = tail_factor([slowed], model, 0.5, 1, P90)
    assert runs == 1
    assert factor == pytest.approx(1.0)
    # the same latency read against the model at full speed would look far slower
    unrecorded = {k: v for k, v in slowed.items() if k != "machineSlowdown"}
    assert tail_factor([unrecorded], model, 0.5, 1, P90)[0] > 1.5


def test_the_cpu_a_request_burnt_is_taken_back_to_full_speed_by_its_runs_slowdown() -> None:
    row = {"source": "measured", "cpu": 0.5, "workers": 1, "durationSeconds": 10.0}
    slowed = {**row, "utilizedCpu": 0.17, "measuredQueriesPerSecond": 20.0, "machineSlowdown": 1.7}
    at_speed = {**row, "utilizedCpu": 0.1, "measuredQueriesPerSecond": 20.0}
    # 8.5 ms a request on a CPU 1.7x slower is 5 ms at full speed
    assert cpu_at([slowed], 0.5, 1) == pytest.approx(0.005)
    assert cpu_at([slowed, at_speed], 0.5, 1) == pytest.approx(0.005)


def test_the_replica_is_put_at_the_speed_its_calibration_runs_had() -> None:
    figures = sized_figures(cores=0.5, service_ms=10.0)
    model = _model()
    plain = Replica.from_figures(figures)
    assert plain.speed == 1.0  # a profile from before the probe: as it was
    figures.sizing = [
        _run(model, 10.0, 1.0, speed=1.1),
        _run(model, 15.0, 1.0, speed=1.3),
        _run(model, 20.0, 1.0, speed=1.2),
    ]
    replica = Replica.from_figures(figures)
    assert speed_at(figures.sizing, 0.5, 1) == pytest.approx(1.2)
    assert replica.speed == pytest.approx(1.2)
    assert replica.to_dict()["machineSlowdown"] == pytest.approx(1.2)
    # each run as the model at its speed predicts: nothing to scale
    assert replica.tail == pytest.approx(1.0)
    assert replica.model.work[0] == pytest.approx(plain.model.work[0] * 1.2)


def test_the_service_slows_by_its_fitted_share_of_the_probes_slowdown() -> None:
    """A profile whose measurement fitted a sensitivity of 0.5 (the service slows by
    half what the probe's loop does): its runs at a 1.8x loop are runs of a service
    1.4x slower, in the calibration, the CPU per request and the plan's speed."""
    figures = sized_figures(cores=0.5, service_ms=10.0)
    model = _model()
    figures.sizing = [
        {**_run(model, 10.0, 1.0, speed=1.4), "machineSlowdown": 1.8},
        {**_run(model, 15.0, 1.0, speed=1.4), "machineSlowdown": 1.8},
    ]
    figures.machine_speed = {"sensitivity": 0.5}
    replica = Replica.from_figures(figures)
    assert replica.sensitivity == 0.5
    assert replica.speed == pytest.approx(1.4)
    assert replica.tail == pytest.approx(1.0)  # each run as the model 1.4x slower says
    assert replica.to_dict()["spellSensitivity"] == 0.5
    row = {"source": "measured", "cpu": 0.5, "workers": 1, "durationSeconds": 10.0}
    slowed = {**row, "utilizedCpu": 0.14, "measuredQueriesPerSecond": 20.0, "machineSlowdown": 1.8}
    assert cpu_at([slowed], 0.5, 1, sensitivity=0.5) == pytest.approx(0.005)
    assert speed_at([slowed], 0.5, 1, sensitivity=0.5) == pytest.approx(1.4)
    # without a fitted sensitivity the service is taken to slow as the loop does
    figures.machine_speed = {"sensitivity": None}
    unfitted = Replica.from_figures(figures)
    assert unfitted.sensitivity is None
    assert unfitted.speed == pytest.approx(1.8)
    assert unfitted.tail == pytest.approx(1.0)  # read at 1.8x, the runs look fast: at least 1


def _at_limits(rate: float, cpu_ms: float) -> dict[str, Any]:
    """A measured run at 0.5 cores that burnt ``cpu_ms`` a request at ``rate``."""
    return {
        "source": "measured", "cpu": 0.5, "workers": 1, "n": int(rate * 20),
        "measuredQueriesPerSecond": rate, "durationSeconds": 20.0,
        "utilizedCpu": rate * cpu_ms / 1000.0,
    }  # fmt: skip


def test_with_a_cold_cost_the_model_burns_at_the_runs_rate_what_they_burnt() -> None:
    figures = sized_figures()
    figures.sizing = [_at_limits(8.0, 12.0), _at_limits(12.0, 12.0)]
    plain = Replica.from_figures(figures)
    assert plain.model.cpu_per_query == pytest.approx(0.012)
    assert figures.sizing_model is not None
    figures.sizing_model = {**figures.sizing_model, "coldExtra": 0.5, "coolInMs": 30.0}
    cold = Replica.from_figures(figures)
    # the runs' 12 ms a request is a mix: warm requests cost less, and the model's
    # mix at the runs' rate (most come after an idle gap at 8-12/s) burns the 12 ms
    assert cold.model.cpu_per_query < 0.0095
    burnt = cold.model.cpu_per_query * cold.model.cold_factor(0.5, 1, 10.4)
    assert burnt == pytest.approx(0.012, rel=0.03)
    # the CPU figure the HPA's utilisation is read from stays the runs'
    assert cold.cpu_per_query == pytest.approx(plain.cpu_per_query)
    # near the capacity requests queue and run warm: more of them fit in the quota
    assert cold.capacity > plain.capacity * 1.2


def test_with_a_cold_cost_the_hpa_reads_less_cpu_a_request_at_higher_rates() -> None:
    figures = sized_figures()
    figures.sizing = [_at_limits(8.0, 12.0), _at_limits(12.0, 12.0)]
    assert figures.sizing_model is not None
    plain = Replica.from_figures(figures)
    figures.sizing_model = {**figures.sizing_model, "coldExtra": 0.5, "coolInMs": 30.0}
    cold = Replica.from_figures(figures)
    rates = np.array([1.0, 10.4, 30.0])
    warm_plain, at_runs, busy = cold.cpu_utilization(rates) / plain.cpu_utilization(rates)
    assert at_runs == pytest.approx(1.0, abs=0.02)  # the runs' own figure at their rate
    assert warm_plain > 1.0 > busy  # a trickle comes cold, a busy replica runs warm
    assert cold.utilization_at(30.0) == pytest.approx(float(cold.cpu_utilization(rates)[2]))


def test_the_fleets_scalar_utilisation_is_the_arrays_at_every_rate() -> None:
    figures = sized_figures()
    figures.sizing = [_at_limits(8.0, 12.0), _at_limits(12.0, 12.0)]
    assert figures.sizing_model is not None
    figures.sizing_model = {**figures.sizing_model, "coldExtra": 0.5, "coolInMs": 30.0}
    cold = Replica.from_figures(figures)
    assert cold.cpu_rates  # the curve is there to interpolate
    # below the grid, on its points, between them, past it and past the capacity
    rates = np.concatenate(
        ([0.0, cold.cpu_rates[0] / 2, cold.cpu_rates[-1] * 1.5], cold.cpu_rates,
         np.linspace(0.01, cold.capacity * 1.2, 97))
    )  # fmt: skip
    scalar = [cold.utilization_at(float(r)) for r in rates]
    assert scalar == pytest.approx(cold.cpu_utilization(rates).tolist(), rel=1e-12, abs=1e-15)
