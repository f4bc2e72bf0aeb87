"""The CPU's speed probe: a real process pinned beside the service, its figures, and
that it ends with whoever started it (a ``kill -9`` included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from servesize.profiling.speed import (
    SpeedProbe,
    service_slowdown,
    slowdown_of,
    slowdowns_of,
    spell_sensitivity,
)


def _until(condition: object, seconds: float = 20.0) -> bool:
    """Poll ``condition()`` until it holds or ``seconds`` pass (the probe's loops come
    on the machine's clock; there is nothing to wait on but their arrival)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_the_slowdown_is_a_runs_median_over_the_profiles_fastest() -> None:
    times = [float(t) for t in range(100)]
    values = [1.0] * 90 + [1.8] * 10  # a spell in the last 10 s
    assert slowdown_of(times, values, 90.0, 99.0) == pytest.approx(1.8)
    assert slowdown_of(times, values, 0.0, 50.0) == pytest.approx(1.0)
    # the fastest is the 10th percentile: one lucky loop does not make everything slow
    lucky = [0.2, *values[1:]]
    assert slowdown_of(times, lucky, 0.0, 50.0) == pytest.approx(1.0)


def test_no_slowdown_without_enough_loops() -> None:
    times = [float(t) for t in range(100)]
    values = [1.0] * 100
    assert slowdown_of(times, values, 10.0, 13.0) is None  # 4 loops in the run
    assert slowdown_of(times[:10], values[:10], 0.0, 9.0) is None  # no history yet
    assert slowdown_of([], [], 0.0, 1.0) is None


def test_a_runs_speed_second_by_second() -> None:
    times = [0.1 * i for i in range(300)]  # ten loops a second for 30 s
    values = [1.0] * 250 + [2.0] * 20 + [1.0] * 30  # a 2-s spell from 25 s
    seconds = slowdowns_of(times, values, 20.0, 30.0)
    assert seconds == pytest.approx([1.0] * 5 + [2.0] * 2 + [1.0] * 3)
    # the run's median hides the spell that its seconds show
    assert slowdown_of(times, values, 20.0, 30.0) == pytest.approx(1.0)
    # against another fastest (the profile's, for a replay's own probe)
    assert slowdowns_of(times, values, 20.0, 22.0, fastest=0.5) == pytest.approx([2.0, 2.0])
    # a second the probe barely ran in takes the run's median
    sparse = [t for t in times if not 22.0 <= t < 22.9]
    kept = [v for t, v in zip(times, values, strict=True) if not 22.0 <= t < 22.9]
    assert slowdowns_of(sparse, kept, 20.0, 24.0) == pytest.approx([1.0] * 4)
    assert slowdowns_of(times[:10], values[:10], 0.0, 1.0) is None  # no history yet


def _windows(p50: list[float]) -> list[dict[str, float]]:
    return [{"t": i, "latencyPercentile50InMs": v} for i, v in enumerate(p50)]


def test_the_services_sensitivity_is_fitted_on_the_measurements_seconds() -> None:
    """A service whose median latency grows by 0.6 of the loop's slowdown (the rest of
    its time in compiled code the spell does not slow), measured with noise: the fit
    finds 0.6, and the service's own slowdowns follow from it."""
    rng = np.random.default_rng(3)
    speeds = [1.0] * 40 + [1.8] * 10 + [1.3] * 5
    p50 = [4.0 * (1 + 0.6 * (s - 1)) * float(rng.normal(1.0, 0.03)) for s in speeds]
    fitted = spell_sensitivity(speeds, _windows(p50))
    assert fitted is not None
    assert fitted == pytest.approx(0.6, abs=0.08)
    assert service_slowdown(1.8, 0.5) == pytest.approx(1.4)
    assert service_slowdown(1.8, None) == pytest.approx(1.8)


def test_no_sensitivity_without_spells_or_seconds_and_a_stray_fit_is_bounded() -> None:
    calm = [1.0, 1.02, 0.99, 1.01] * 5
    assert spell_sensitivity(calm, _windows([4.0] * 20)) is None  # no spell to fit on
    short = [1.0] * 5 + [1.8] * 3
    assert spell_sensitivity(short, _windows([4.0] * 5 + [6.0] * 3)) is None  # 8 s
    # a service far slower in the spells than the loop: kept within the bounds
    speeds = [1.0] * 10 + [1.1] * 5
    assert spell_sensitivity([1.0] * 10 + [1.5] * 5, _windows([4.0] * 10 + [40.0] * 5)) == 2.0
    # windows without a median (no request answered in that second) are left out
    gaps = [{"t": i} for i in range(15)]
    assert spell_sensitivity(speeds, gaps) is None


def test_a_real_probe_times_its_loop_on_the_cpu_it_was_given_and_stops() -> None:
    cpu = sorted(os.sched_getaffinity(0))[-1]
    started = time.monotonic()
    probe = SpeedProbe.start([cpu], interval=0.01)
    assert probe is not None
    try:
        assert _until(lambda: probe.loops >= 40)
        slowdown = probe.slowdown(started, time.monotonic())
        assert slowdown is not None
        assert 0.5 < slowdown < 20  # a sanity bound: a median over the 10th percentile
        seconds = probe.slowdowns(started, time.monotonic())
        assert seconds is not None
        assert len(seconds) >= 1
        assert all(0.5 < v < 20 for v in seconds)
        summary = probe.summary()
        assert summary is not None
        assert summary.cpu == cpu
        assert 0 < summary.fastest_ms <= summary.median_ms <= summary.slowest_ms
        assert os.sched_getaffinity(probe.pid) == {cpu}
    finally:
        details = probe.finish()
    assert probe.returncode is not None  # ended, and reaped
    assert details is not None
    assert set(details) == {
        "probeCpu", "loops", "fastestLoopMs", "medianLoopMs", "slowestLoopMs", "slowShare",
        "sensitivity",
    }  # fmt: skip
    assert details["sensitivity"] is None  # no measurement to fit on


def test_no_probe_without_a_cpu() -> None:
    assert SpeedProbe.start([]) is None


def test_the_probe_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys, time
        from servesize.profiling.speed import SpeedProbe
        probe = SpeedProbe.start([0], interval=0.01)
        print(probe.pid, flush=True)
        time.sleep(600)  # until killed
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert Path(f"/proc/{pid}").exists()
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()

    def gone() -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        return state == "Z"  # exited; its new parent (init) reaps it

    assert _until(gone)
