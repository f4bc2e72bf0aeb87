"""The sampler against real services: CPU under a quota, phases, 1 s buckets, cost."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from servesize.profiling import Sampler, Service
from servesize.profiling.phases import PhaseFigures
from servesize.profiling.settings import ProfileSettings
from servesize.profiling.verdict import judge_run

from .limits_helpers import CHILDREN, wait_until

Start = Callable[..., Service]


class Counter:
    """A service stand-in with counters the test sets (for the bucket arithmetic)."""

    spawned_at = 0.0

    def cpu_seconds(self) -> float:
        return 0.0

    def memory_bytes(self) -> int:
        return 0

    def oom_kills(self) -> int:
        return 0


@pytest.mark.timing
@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_half_a_core_quota_is_measured_as_half_a_core(start: Start) -> None:
    service = start("busy.py", cpu=0.5, cpus=(os.sched_getaffinity(0).pop(),))
    with Sampler(service, interval=0.1) as sampler:
        sampler.phase = "measurement"
        assert wait_until(lambda: len(sampler.per_second("measurement")) >= 2, 30)
    buckets = sampler.per_second("measurement")
    assert sum(buckets) / len(buckets) == pytest.approx(0.5, rel=0.10)
    # The quota holds per second; a single 100 ms sample may straddle two CFS periods
    # and see up to a full core, so it is not checked.
    assert max(buckets) < 0.6
    times = [s["t"] for s in sampler.samples]
    assert times == sorted(times)
    assert times[0] > 0
    assert set(sampler.samples[0]) == {
        "t", "phase", "cpu", "memoryInGB", "oomKills", "contention", "throttled"}  # fmt: skip
    assert sampler.peak_memory_bytes > 0


@pytest.mark.untimed
def test_samples_carry_the_phase_and_memory(start: Start) -> None:
    service = start("alloc.py", "50", cgroups=False)
    with Sampler(service, interval=0.05) as sampler:
        sampler.phase = "coldstart"
        assert wait_until(lambda: len(sampler.samples) >= 3, 20)
        sampler.phase = "warmup"
        assert wait_until(lambda: sampler.samples[-1]["phase"] == "warmup", 20)
    assert {s["phase"] for s in sampler.samples} >= {"coldstart", "warmup"}
    assert sampler.peak_memory_bytes > 0
    top = max(s["memoryInGB"] for s in sampler.samples)
    assert top == pytest.approx(sampler.peak_memory_bytes / 2**30, abs=1e-6)
    sampler.stop()  # idempotent
    with pytest.raises(RuntimeError):
        sampler.start()


def test_per_second_buckets_are_time_weighted() -> None:
    sampler = Sampler(Counter(), interval=0.1)
    # 0-1 s at 1 core, 1-2 s half at 0 and half at 1 core, then a 0.2 s ragged end.
    for k in range(10):
        sampler._record(k / 10, (k + 1) / 10, 0.1, 100, 0)
    sampler._record(1.0, 1.5, 0.0, 100, 0)
    sampler._record(1.5, 2.0, 0.5, 100, 0)
    sampler._record(2.0, 2.2, 0.2, 100, 0)
    sampler.phase = "other"
    sampler._record(2.2, 3.2, 1.0, 100, 0)
    assert sampler.per_second("idle") == pytest.approx([1.0, 0.5])
    assert sampler.per_second("other") == pytest.approx([1.0])
    assert sampler.per_second("missing") == []


@pytest.mark.timing
def test_the_sampler_is_cheap(start: Start) -> None:
    service = start("idle.py", cgroups=False)
    before = time.thread_time()
    sampler = Sampler(service, interval=0.1)
    used: list[float] = []
    original = sampler._run

    def timed_run() -> None:
        begin = time.thread_time()
        original()
        used.append(time.thread_time() - begin)

    sampler._run = timed_run  # type: ignore[method-assign]
    sampler.start()
    done = threading.Event()
    done.wait(1.0)
    sampler.stop()
    assert time.thread_time() - before < 0.5
    assert used
    # A generous sanity bound (the machine is shared); the measured figure is in the docs.
    assert used[0] / 1.0 < 0.10


def _one_cpu() -> int:
    return max(os.sched_getaffinity(0))


def _sample(service: Service, seconds: float = 2.0) -> tuple[PhaseFigures, Sampler]:
    with Sampler(service, interval=0.1) as sampler:
        sampler.phase = "measurement"
        assert wait_until(lambda: sampler.phase_figures("measurement").seconds >= seconds, 30)
    return sampler.phase_figures("measurement"), sampler


@pytest.mark.timing
@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_a_busy_loop_under_a_fifth_of_a_core_is_throttled_not_contended(start: Start) -> None:
    service = start("busy.py", cpu=0.2, cpus=(_one_cpu(),))
    figures, sampler = _sample(service)
    assert figures.periods is not None
    assert figures.periods >= 15  # one per 100 ms it ran
    assert figures.throttled_share is not None
    assert figures.throttled_share > 0.8  # it runs out of quota in nearly every period
    assert figures.throttled_seconds is not None
    # stopped for most of each period (less when other work on the CPU slowed it)
    assert 0 < figures.throttled_seconds <= 1.05 * figures.seconds
    assert figures.contention_seconds is not None
    # the run-queue delay holds the throttled time too; it is not counted twice
    assert figures.contention_seconds + figures.throttled_seconds <= 1.1 * figures.seconds
    assert any(s["throttled"] for s in sampler.samples)
    details = figures.to_details()
    assert details["throttledShare"] == round(figures.throttled_share, 4)


@pytest.mark.timing
@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_a_cpu_hog_on_the_service_cpu_is_contention(start: Start, tmp_path: Path) -> None:
    cpu = _one_cpu()
    service = start("busy.py", cpus=(cpu,))
    hog = subprocess.Popen(
        [sys.executable, str(CHILDREN / "busy.py")],
        stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )
    try:
        figures, sampler = _sample(service)
    finally:
        hog.kill()
        hog.wait()
    share = figures.contention_share
    assert share is not None
    assert 0.3 < share <= 0.8  # two busy loops share the CPU about evenly
    assert max(s["contention"] or 0 for s in sampler.samples) > 0.3
    reasons = judge_run(
        {"durationSeconds": figures.seconds, "totalQueries": 1},
        settings=ProfileSettings(),
        min_duration=0.0,
        figures=figures,
    )
    assert len(reasons) == 1
    assert reasons[0].startswith("the machine was busy: during the measurement the service")


@pytest.mark.timing
@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_the_services_own_processes_queueing_is_not_contention(start: Start) -> None:
    service = start("busy_pair.py", cpus=(_one_cpu(),))
    assert wait_until(lambda: len(service.cgroup.pids()) == 2 if service.cgroup else False)
    before = service.sched_reading()
    figures, _ = _sample(service)
    after = service.sched_reading()
    assert before is not None
    assert after is not None
    waited = after.run_delay - before.run_delay
    assert waited > 0.6 * figures.seconds  # each waits for the other half the time
    assert figures.contention_share is not None
    # only what other processes ran on that CPU counts (little, on a quiet machine)
    assert figures.contention_seconds is not None
    assert figures.contention_seconds < 0.5 * waited
