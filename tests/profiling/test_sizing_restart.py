"""How the sizing phase runs its trials: the quota changed in place, a fresh service after
a trial the service fell behind in (measured: the same process burnt 6-7 ms of CPU a
request for the rest of a search after a trial with p90 of 1.2 s, a fresh one 4.4 ms),
a trial that cannot be trusted measured again, and every trial decided.

The host here stands in for the profile's run only in what the sizing phase asks of it
(start a service, run a load, report phases); the decisions under test are the phase's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from servesize.load import LoadResult
from servesize.profiling.phases import PhaseFigures
from servesize.profiling.queueing import ServiceModel
from servesize.profiling.settings import ProfileSettings
from servesize.profiling.sizing import LowLoad, SizingPhase, allocation_for
from servesize.profiling.sizing.phase import design_of, objective_of
from servesize.workspace import Figures


@dataclass
class _Service:
    cgroup: None = None
    resized: list[float] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        return 0.0

    def resize(self, cpu: float | None = None, memory_bytes: int | None = None) -> None:
        assert cpu is not None
        self.resized.append(cpu)


@dataclass
class _Sampler:
    samples: list[dict[str, Any]] = field(default_factory=list)

    def phase_figures(self, phase: str) -> PhaseFigures:
        return PhaseFigures(phase)


@dataclass
class _Run:
    allocation: Any
    service: _Service = field(default_factory=_Service)
    sampler: _Sampler = field(default_factory=_Sampler)
    memory_limit: int | None = None
    stopped: bool = False

    def stop(self) -> None:
        self.stopped = True


def _metrics(over: int, *, n: int = 400, backlog: int = 0, late: float = 0.0) -> dict[str, Any]:
    return {
        "totalQueries": n,
        "scheduledQueries": n,
        "queriesOverThreshold": over,
        "successRate": 1.0,
        "durationSeconds": 10.0,
        "requestedQueriesPerSecond": 40.0,
        "measuredQueriesPerSecond": 40.0,
        "backlogAtScheduleEnd": backlog,
        "lateSendShare": late,
        "errorsByKind": {},
        "latencyPercentile90InMs": 5.0,
    }


class _Host:
    """Each load answers the next metrics in ``runs``; records what was asked."""

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self.settings = ProfileSettings(slo="p90=10ms", trial_duration=1.0)
        self.figures = Figures()
        self.started: list[float] = []
        self.watches: list[Callable[[dict[str, Any]], bool] | None] = []
        self._runs = list(runs)

    def _start_allocation(self, phase: str, alloc: Any, memory: int | None) -> _Run:
        self.started.append(alloc.cores)
        return _Run(alloc)

    def _load(
        self,
        phase: str,
        run: Any,
        *,
        expected: float,
        watch: Callable[[dict[str, Any]], bool] | None = None,
        **spec: Any,
    ) -> LoadResult:
        assert spec["threshold_ms"] == 10.0  # the objective's limit is counted
        self.watches.append(watch)
        return LoadResult(self._runs.pop(0))

    def _runs_list(self) -> list[Any]:
        return []

    def _phase(self, phase: str, fraction: float, text: str) -> None:
        pass


def _phase(host: _Host) -> tuple[SizingPhase, _Run]:
    bound = _Run(allocation_for(1.0))
    phase = SizingPhase(host, bound, None)
    # the objective and its test, as run() sets them before the search
    objective = objective_of(host.settings, LowLoad({}, []))
    phase.objective, phase.design = objective, design_of(host.settings, objective)
    return phase, bound


def test_the_trial_after_one_the_service_fell_behind_in_runs_in_a_fresh_service() -> None:
    # 0.3 cores fell behind (a backlog of 300), then 0.3 cores again, then 0.4 cores
    host = _Host([_metrics(300, backlog=300), _metrics(0), _metrics(0)])
    phase, bound = _phase(host)
    first = phase.measure(allocation_for(0.3), 60.0)
    assert first.fell_behind
    assert not first.met
    assert first.outcome == "missed"
    assert host.started == []  # the quota was changed in place
    assert bound.service.resized == [0.3]
    second = phase.measure(allocation_for(0.3), 30.0)
    assert second.met
    assert second.decision is not None
    assert second.decision.outcome == "met"
    assert bound.stopped
    # a fresh service for the trial after the one it fell behind in, started under the
    # bound's quota (start-up is not measured, and is slow under a small one), then cut
    assert host.started == [1.0]
    fresh = phase.current
    assert fresh.service.resized == [0.3]
    assert fresh.allocation == allocation_for(0.3)
    phase.measure(allocation_for(0.4), 40.0)
    assert host.started == [1.0]  # it kept up since: resized in place
    assert fresh.service.resized == [0.3, 0.4]


def test_a_trial_that_cannot_be_trusted_is_measured_again_once() -> None:
    late = _metrics(0, late=0.2)  # the generator sent 20% of its requests late
    host = _Host([late, _metrics(0)])
    phase, _ = _phase(host)
    trial = phase.measure(allocation_for(0.5), 40.0)
    assert len(host.watches) == 2  # measured again
    assert trial.met
    assert "late" in trial.to_row()["remeasured"][0]
    assert not phase.untrusted


def test_a_trial_untrusted_twice_does_not_count_and_the_verdict_hears_of_it() -> None:
    late = _metrics(0, late=0.2)
    host = _Host([late, late])
    phase, _ = _phase(host)
    trial = phase.measure(allocation_for(0.5), 40.0)
    assert not trial.met
    assert trial.outcome == "untrusted"
    assert trial.to_row()["untrusted"]
    assert len(phase.untrusted) == 1
    assert "could not be trusted" in phase.untrusted[0]
    assert "late" in phase.untrusted[0]


def test_an_undecided_trial_is_not_met_and_says_how_many_more_it_needs() -> None:
    host = _Host([_metrics(2, n=20)])  # 2 of 20 over p90's limit: undecided
    phase, _ = _phase(host)
    trial = phase.measure(allocation_for(0.5), 40.0)
    assert trial.outcome == "undecided"
    assert not trial.met
    row = trial.to_row()
    assert (row["decision"], row["n"], row["overLimit"]) == ("undecided", 20, 2)


def test_the_watch_ends_a_trial_once_it_is_decided_and_not_before_its_minimum() -> None:
    host = _Host([_metrics(0)])
    phase, _ = _phase(host)
    phase.measure(allocation_for(0.5), 40.0)
    watch = host.watches[0]
    assert watch is not None
    decided = {"t": 2.0, "windowCounts": [(40, 0), (40, 0)]}  # 80 within p90's limit
    assert watch(decided)
    assert not watch({**decided, "t": 0.5})  # before the trial's minimum duration
    assert not watch({"t": 2.0, "windowCounts": [(10, 1)]})  # undecided


def test_the_model_burns_the_cpu_a_request_was_measured_to_burn_beyond_one_core() -> None:
    # the example on one core: 6.9 ms of CPU a request, one request at a time 5.3 ms
    # (the server's threads burn beside the request's): the model's quota drains at
    # 6.9 ms a request, not at the 5.3 ms a one-core cap allowed
    phase, _ = _phase(_Host([]))
    low = LowLoad({"averageLatencyInMs": 5.3}, [(4.0, 30), (6.0, 60), (9.0, 10)])
    model = phase.model(low, 0.0069)
    assert model.cpu_fraction == pytest.approx(0.0069 / 0.0053)
    assert model.cpu_per_query == pytest.approx(0.0069)
    assert model.capacity(0.3, 1) == pytest.approx(0.3 / 0.0069)
    capped = ServiceModel(model.work, 1.0)
    assert model.max_rate(0.3, 1, "90", 11.5) < capped.max_rate(0.3, 1, "90", 11.5)


@pytest.mark.parametrize(
    ("slowdowns", "runs", "kept"),
    [
        ((1.7, 1.02), 2, 1.02),  # a slow spell: measured again, the repeat stands
        ((1.7, 1.6), 2, 1.6),  # slow twice: the second stands, with its slowdown
        ((1.1, None), 1, 1.1),  # within max_slowdown: as measured
        ((None, None), 1, None),  # no probe: as measured
    ],
)
def test_a_trial_on_a_slowed_cpu_is_measured_again_once_and_the_repeat_stands(
    slowdowns: tuple[float | None, float | None], runs: int, kept: float | None
) -> None:
    host = _Host([{**_metrics(0), "machineSlowdown": s} for s in slowdowns])
    host.settings = ProfileSettings(slo="p90=10ms", trial_duration=1.0, max_slowdown=1.25)
    phase, _ = _phase(host)
    trial = phase.measure(allocation_for(0.5), 40.0)
    assert len(host.watches) == runs
    row = trial.to_row()
    assert row["machineSlowdown"] == kept
    if runs == 2:  # the row says why it is a repeat
        assert row["remeasured"] == [f"the CPU ran {slowdowns[0]:.2f}x slower than its fastest"]
    else:
        assert "remeasured" not in row
    assert trial.met  # a slow CPU is reported, not a reason to distrust
    assert not phase.untrusted


def test_by_default_a_slowed_trial_stands_with_its_slowdown() -> None:
    host = _Host([{**_metrics(0), "machineSlowdown": 3.0}, _metrics(0)])
    assert host.settings.max_slowdown == 0  # off: every run stands, reported
    phase, _ = _phase(host)
    trial = phase.measure(allocation_for(0.5), 40.0)
    assert len(host.watches) == 1
    assert trial.to_row()["machineSlowdown"] == 3.0
