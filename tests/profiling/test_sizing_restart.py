"""A trial that overloads the service leaves it unfit for the next trial: the next one
starts a fresh service (measured: the same process burnt 6-7 ms of CPU a request for
the rest of a search after a trial with p90 of 1.2 s, a fresh one 4.4 ms).

The host here stands in for the profile's run only in what the sizing phase asks of it
(start a service, run a load, report phases); the decision under test is the phase's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servesize.load import LoadResult
from servesize.profiling._sizing_phase import SizingPhase
from servesize.profiling.objective import parse_slo
from servesize.profiling.settings import ProfileSettings
from servesize.profiling.sizing import FAR, Trial, allocation_for, overloaded
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


@dataclass
class _Run:
    allocation: Any
    service: _Service = field(default_factory=_Service)
    sampler: _Sampler = field(default_factory=_Sampler)
    memory_limit: int | None = None
    stopped: bool = False

    def stop(self) -> None:
        self.stopped = True


class _Host:
    def __init__(self, p90s: list[float]) -> None:
        self.settings = ProfileSettings(trial_duration=1.0)
        self.figures = Figures()
        self.started: list[float] = []
        self._p90s = list(p90s)

    def _start_allocation(self, phase: str, alloc: Any, memory: int | None) -> _Run:
        self.started.append(alloc.cores)
        return _Run(alloc)

    def _load(self, phase: str, run: Any, *, expected: float, **spec: Any) -> LoadResult:
        p90 = self._p90s.pop(0)
        return LoadResult({"latencyPercentile90InMs": p90, "successRate": 1.0})

    def _runs_list(self) -> list[Any]:
        return []

    def _phase(self, phase: str, fraction: float, text: str) -> None:
        pass


def test_overloaded_means_far_past_the_limit_or_no_figure() -> None:
    a = allocation_for(0.3)
    assert overloaded(Trial(a, 50.0, FAR * 10.0 + 0.1, False), 10.0)
    assert overloaded(Trial(a, 50.0, None, False), 10.0)
    assert not overloaded(Trial(a, 50.0, FAR * 10.0, False), 10.0)


def test_the_trial_after_an_overload_runs_in_a_fresh_service() -> None:
    objective = parse_slo("p90=10ms")
    # 0.3 cores overloaded (p90 1.2 s), then 0.3 cores again, then 0.4 cores (fine)
    host = _Host([1200.0, 8.0, 9.0])
    bound = _Run(allocation_for(1.0))
    phase = SizingPhase(host, bound, None)
    first = phase.measure(allocation_for(0.3), 60.0, objective, 1.0)
    assert not first.met
    assert host.started == []  # the quota was changed in place
    assert bound.service.resized == [0.3]
    second = phase.measure(allocation_for(0.3), 30.0, objective, 1.0)
    assert second.met
    assert bound.stopped
    # a fresh service for the trial after the overload, started under the bound's
    # quota (start-up is not measured, and is slow under a small one), then cut
    assert host.started == [1.0]
    fresh = phase.current
    assert fresh.service.resized == [0.3]
    assert fresh.allocation == allocation_for(0.3)
    phase.measure(allocation_for(0.4), 40.0, objective, 1.0)
    assert host.started == [1.0]  # no overload since: resized in place
    assert fresh.service.resized == [0.3, 0.4]
