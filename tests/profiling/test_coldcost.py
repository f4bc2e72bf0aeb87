"""The cost of a request after an idle gap: the fit from the step's four runs, the
checks that keep a moving host out of it, and the model charging it (hand-checked)."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from servesize.load import LoadResult
from servesize.profiling.queueing import ServiceModel
from servesize.profiling.settings import ProfileSettings
from servesize.profiling.sizing import LowLoad, SizingPhase, allocation_for
from servesize.profiling.sizing.coldcost import (
    MAX_EXTRA,
    ColdCost,
    fit_cold,
    measure,
    schedule,
)
from servesize.workspace import Figures


def test_the_lone_requests_give_the_extra_and_the_middle_gap_the_time_constant() -> None:
    # 3.5 ms warm, 4.9 ms after 100 ms of idle: 40% more; after 25 ms half of that, so
    # 1 - exp(-25 / tau) = 0.5 and tau = 25 / ln 2
    extra, cool = fit_cold(0.0035, 0.0049, 0.1, 0.0042, 0.025)
    assert extra == pytest.approx(0.4)
    assert cool == pytest.approx(0.025 / math.log(2))


def test_a_service_that_costs_the_same_after_idle_has_no_cold_cost() -> None:
    assert fit_cold(0.010, 0.0102, 0.1, 0.0101, 0.025) == (0.0, 0.0)
    assert fit_cold(0.010, 0.009, 0.1, 0.0101, 0.025) == (0.0, 0.0)  # cheaper alone
    assert fit_cold(0.0, 0.009, 0.1, 0.0101, 0.025) == (0.0, 0.0)  # nothing measured


def test_the_extra_is_capped_and_the_middle_share_held_inside_its_ends() -> None:
    extra, _ = fit_cold(0.001, 0.010, 0.1, 0.002, 0.025)
    assert extra == MAX_EXTRA
    # a middle run as dear as the lone ones: the constant is short against 25 ms, not 0
    _, short = fit_cold(0.004, 0.006, 0.1, 0.0061, 0.025)
    assert short == pytest.approx(-0.025 / math.log(0.05))
    # a middle run as cheap as the warm one: long against 25 ms, not infinite
    _, long = fit_cold(0.004, 0.006, 0.1, 0.0039, 0.025)
    assert long == pytest.approx(-0.025 / math.log(0.95))


def test_two_back_to_back_runs_apart_say_the_host_moved_and_nothing_is_fitted() -> None:
    steady = ColdCost(0.0035, 0.0036, 0.0049, 0.1, 0.0042, 0.025).checked()
    assert steady.reason is None
    assert steady.fitted[0] > 0.3
    moved = ColdCost(0.0035, 0.0045, 0.0049, 0.1, 0.0042, 0.025).checked()
    assert moved.reason is not None
    assert "host" in moved.reason
    assert moved.fitted == (0.0, 0.0)
    assert moved.to_details()["reason"] == moved.reason
    assert moved.to_details()["loneCpuMs"] == pytest.approx(4.9)


def test_the_step_measures_only_what_it_can_resolve() -> None:
    calls: list[dict[str, object]] = []

    def never(spec: dict[str, object]) -> tuple[float, int, float]:
        calls.append(spec)
        return 0.0, 0, 0.0

    assert measure(never, 0.004, precise=False).reason is not None
    assert measure(never, 0.5, precise=True).reason is not None
    assert calls == []  # neither ran a request


def test_the_schedules_leave_the_idle_gap_after_each_request() -> None:
    assert schedule(3, 0.1, 0.005) == [0.0, 0.105, 0.21]


def test_the_step_reads_each_runs_cpu_a_request_and_the_idle_it_left() -> None:
    # a service that burns 4 ms warm and 6 ms (50% more) after a long idle, 5 ms after
    # 25 ms: its runs as the step would see them
    def service(spec: dict[str, object]) -> tuple[float, int, float]:
        offsets = spec.get("schedule")
        if offsets is None:
            return 0.5, 125, 0.004  # back to back: 125 requests of 4 ms
        n = len(offsets)  # type: ignore[arg-type]
        gap = offsets[1] - offsets[0]  # type: ignore[index]
        each = 0.006 if gap > 0.05 else 0.005
        return each * n, n, each

    cost = measure(service, 0.004, precise=True)
    assert cost.reason is None
    assert cost.lone == pytest.approx(0.006)
    assert cost.lone_idle == pytest.approx(0.1 + 0.004 - 0.006)
    assert cost.mid_idle == pytest.approx(0.025 + 0.004 - 0.005)
    extra, cool = cost.fitted
    assert extra == pytest.approx(0.5)
    assert cool == pytest.approx(-cost.mid_idle / math.log(0.5))  # type: ignore[operator]


def _model(extra: float, cool: float) -> ServiceModel:
    return ServiceModel(work=(0.004,) * 10, cold_extra=extra, cool_seconds=cool)


def test_the_models_cold_factor_is_one_where_requests_queue_and_the_extra_when_alone() -> None:
    model = _model(0.5, 0.02)
    assert _model(0.0, 0.0).cold_factor(1.0, 1, 1.0) == 1.0
    # one request a second: the idle before each is exponential (mean 1 s) less a few
    # ms, and E[1 - exp(-idle / 20 ms)] = 1 - 1 / (1 + 50)
    assert model.cold_factor(1.0, 1, 1.0) == pytest.approx(1 + 0.5 * (1 - 1 / 51), abs=0.01)
    # near the capacity most start behind another
    busy = model.cold_factor(1.0, 1, 200.0)
    assert 1.0 <= busy < 1.2


def test_a_stored_cold_cost_is_read_back() -> None:
    stored = {"serviceTimesMs": [4.0] * 5, "coldExtra": 0.4, "coolInMs": 30.0}
    model = ServiceModel.from_details(stored)
    assert model.cold_extra == pytest.approx(0.4)
    assert model.cool_seconds == pytest.approx(0.03)
    older = ServiceModel.from_details({"serviceTimesMs": [4.0] * 5})
    assert (older.cold_extra, older.cool_seconds) == (0.0, 0.0)
    # the cost carries through the model's other forms
    assert model.with_cpu_fraction(1.2).cold_extra == pytest.approx(0.4)
    assert model.at_speed(1.5).cool_seconds == pytest.approx(0.03)
    lat = model.latencies_at(np.array([0.0, 1.0]), 1.0, 1)
    assert lat[1] == pytest.approx(0.004 * 1.4, rel=1e-3)


class _Cgroup:
    def cpu_seconds(self) -> float:
        return 1.0


class _Service:
    cgroup = _Cgroup()
    cpu = 0.0

    def cpu_seconds(self) -> float:
        return self.cpu


class _Host:
    """Stands in for the profile's run in what the step asks of it: records each run's
    rows and answers with 4 ms of CPU a request (6 ms when the requests come alone)."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.settings = ProfileSettings()
        self.figures = Figures()
        self._bodies = bodies
        self.sent: list[list[bytes]] = []
        self.service = _Service()

    def _load(self, phase: str, run: object, *, expected: float, **spec: Any) -> LoadResult:
        self.sent.append(list(spec["bodies"]))
        n = len(spec["schedule"]) if "schedule" in spec else 100
        self.service.cpu += n * (0.006 if "schedule" in spec else 0.004)
        return LoadResult({"totalQueries": n, "averageLatencyInMs": 4.0})

    def _phase(self, phase: str, fraction: float, text: str) -> None:
        pass


def test_the_step_sends_one_row_the_median_by_size_in_every_run() -> None:
    # rows that differ in cost (by size here) would differ between the runs' few
    # requests: every run sends the same one
    rows = [b"x" * size for size in (50, 5, 500, 20, 9000)]
    host = _Host(rows)
    run = SimpleNamespace(allocation=allocation_for(1.0), service=host.service)
    phase = SizingPhase(host, run, None)  # type: ignore[arg-type]
    cost = phase.cold_cost(LowLoad({"averageLatencyInMs": 4.0}, []))
    assert host.sent == [[b"x" * 50]] * 4
    assert cost.fitted[0] == pytest.approx(0.5)
