"""The sending thread's set-up: real-time priority taken and given back (else a heavier
fair-class weight), the collector paused for open loops only (see load/_sender.py)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servesize.load import _sender
from servesize.load._sender import realtime, sending


def policy() -> tuple[int, int]:
    return os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK, os.sched_getparam(0).sched_priority


def test_realtime_is_taken_where_allowed_and_always_given_back() -> None:
    before = policy()
    with realtime() as granted:
        inside = policy()
    # as root (or with CAP_SYS_NICE / RLIMIT_RTPRIO) it is granted; elsewhere refused
    # cleanly: either way the thread says which, and gets its own policy back
    assert (inside == (os.SCHED_FIFO, 1)) is granted
    assert policy() == before


def test_the_environment_refuses_realtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVESIZE_LOAD_REALTIME", "0")
    before = policy()
    with realtime() as granted:
        assert not granted
        assert policy() == before


def test_no_realtime_where_the_kernel_does_not_throttle_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    unthrottled = tmp_path / "sched_rt_runtime_us"
    unthrottled.write_text("-1\n")
    monkeypatch.setattr(_sender, "_RT_RUNTIME", unthrottled)
    with realtime() as granted:
        assert not granted


def test_the_collector_pauses_for_an_open_loop_only() -> None:
    assert gc.isenabled()
    with sending(open_loop=False) as granted:
        assert gc.isenabled()
        assert not granted
    with sending(open_loop=True):
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        with sending(open_loop=True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


_RT_GROUPS = Path("/sys/fs/cgroup/cpu")


@pytest.mark.cgroups
def test_refused_by_a_cgroup_without_a_realtime_budget_it_takes_nice_minus_10(
    tmp_path: Path,
) -> None:
    """As in a container (cgroup v1 with real-time group scheduling): even root is refused
    SCHED_FIFO in a cgroup whose cpu.rt_runtime_us is 0, and the sender falls back to a
    heavier fair-class weight, given back after the block."""
    if not (_RT_GROUPS / "cpu.rt_runtime_us").is_file() or not os.access(_RT_GROUPS, os.W_OK):
        pytest.skip("no writable cgroup v1 cpu hierarchy with real-time group scheduling")
    group = _RT_GROUPS / f"servesize-test-rt-{os.getpid()}"
    group.mkdir()
    try:
        assert (group / "cpu.rt_runtime_us").read_text().strip() == "0"
        child = (
            "import os, sys\n"
            f"open({str(group / 'cgroup.procs')!r}, 'w').write(str(os.getpid()))\n"
            "from servesize.load._sender import realtime\n"
            "with realtime() as granted:\n"
            "    inside = os.getpriority(os.PRIO_PROCESS, 0)\n"
            "print(granted, inside, os.getpriority(os.PRIO_PROCESS, 0))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", child], capture_output=True, text=True, check=True, timeout=60
        ).stdout.split()
    finally:
        group.rmdir()
    assert out == ["False", "-10", "0"]
