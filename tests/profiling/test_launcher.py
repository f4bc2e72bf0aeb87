"""The launcher with real child processes: readiness, failures, limits, accounting and
teardown (including a Ctrl-C of the parent), with and without cgroups."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from servesize.errors import InvalidInputError, ServiceError
from servesize.profiling import Service, launch

from .limits_helpers import CHILDREN, gone, log_value, wait_until

Start = Callable[..., Service]
MIB = 1 << 20


def closed_port_url() -> str:
    return "http://127.0.0.1:9/"  # discard port: nothing listens on loopback


def test_wait_ready_returns_seconds_since_spawn(start: Start, tmp_path: Path) -> None:
    portfile = tmp_path / "port"
    service = start("http_ready.py", str(portfile), cgroups=False)
    assert wait_until(portfile.exists)
    seconds = service.wait_ready(f"http://127.0.0.1:{portfile.read_text()}/", timeout=30)
    assert 0.3 <= seconds < 30  # the child sleeps 0.3 s before it listens
    assert service.poll() is None


def test_never_ready_raises_with_the_deadline(start: Start) -> None:
    service = start("idle.py", cgroups=False)
    with pytest.raises(ServiceError, match=r"within the 0\.5 s deadline") as info:
        service.wait_ready(closed_port_url(), timeout=0.5)
    assert "last lines of" in str(info.value)
    assert service.poll() is None  # left running: the caller decides


def test_early_exit_raises_with_code_and_log_tail(start: Start) -> None:
    service = start("exit_early.py", cgroups=False)
    with pytest.raises(ServiceError) as info:
        service.wait_ready(closed_port_url(), timeout=30)
    message = str(info.value)
    assert "exited with code 3 before it became ready" in message
    assert "RuntimeError: init failed on purpose" in message
    assert service.returncode == 3
    assert not service.oom_killed


def test_a_host_that_names_its_failure_gives_one_line(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    script.write_text(
        "import azureml.core.nothing_here\n\ndef init(): pass\n\ndef run(d): return d\n"
    )
    argv = [sys.executable, "-m", "servesize.serving", "--entry-script", str(script)]
    log = tmp_path / "service.log"
    service = launch([*argv, "--port", "0"], env={}, cwd=tmp_path, log_path=log)
    with service, pytest.raises(ServiceError) as info:
        service.wait_ready(closed_port_url(), timeout=30)
    assert str(info.value) == (
        f"cannot import {script}: ModuleNotFoundError: No module named "
        "'azureml.core.nothing_here' (service exited with code 5 before it became ready)"
    )


def test_missing_executable_and_bad_limits(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="cannot start"):
        launch([str(tmp_path / "nope")], env={}, cwd=tmp_path, log_path=tmp_path / "log")
    with pytest.raises(InvalidInputError):
        launch([sys.executable], env={}, cwd=tmp_path, log_path=tmp_path / "log", cpu=-1)


@pytest.mark.parametrize("cgroups", [pytest.param(True, marks=pytest.mark.cgroups), False])
def test_stop_ends_the_whole_tree(
    start: Start, tmp_path: Path, cgroups: bool, request: pytest.FixtureRequest
) -> None:
    if cgroups:
        request.getfixturevalue("cgroup_only")
    pidfile = tmp_path / "pids"
    service = start("tree.py", str(pidfile), cgroups=cgroups, memory_bytes=256 * MIB)
    assert wait_until(pidfile.exists, 20)
    pids = [int(p) for p in pidfile.read_text().split()]
    assert len(pids) == 4
    assert not any(gone(pid) for pid in pids)
    service.stop(timeout=0.5)  # everything ignores SIGTERM: SIGKILL must follow
    assert wait_until(lambda: all(gone(pid) for pid in pids), 10), "a process survived stop()"
    assert service.returncode == -signal.SIGKILL
    if service.cgroup is not None:
        assert not any(d.exists() for d in service.cgroup.dirs)
    service.stop()  # idempotent
    assert service.memory_bytes() == 0


@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_memory_is_the_childs_working_set(start: Start) -> None:
    service = start("alloc.py", "150", memory_bytes=512 * MIB)
    assert service.limits_enforced
    assert "memory limit 0.50 GiB" in service.limits_note
    rss = log_value(service, "rss")
    assert rss > 150 * MIB
    assert service.memory_bytes() == pytest.approx(rss, rel=0.10)
    peak = service.peak_memory_bytes()
    assert peak is None or peak >= 150 * MIB


@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_oom_kill_under_the_memory_limit(start: Start) -> None:
    service = start("alloc.py", "400", memory_bytes=200 * MIB)
    with pytest.raises(ServiceError, match="OOM killer") as info:
        service.wait_ready(closed_port_url(), timeout=60)
    assert "code -9 (SIGKILL)" in str(info.value)
    assert service.returncode == -signal.SIGKILL
    assert service.oom_killed
    assert service.oom_kills() >= 1
    service.stop()
    assert service.oom_killed  # still known after the cgroup is gone


def test_psutil_fallback_measures_cpu_and_memory(start: Start, tmp_path: Path) -> None:
    busy = start("busy.py", cgroups=False)
    assert not busy.limits_enforced
    assert busy.limits_note == "cgroups disabled; ran unlimited, measured with psutil"
    assert wait_until(lambda: busy.cpu_seconds() > 1.0, 30)
    busy.stop(timeout=5)
    truth = log_value(busy, "cpu")  # the child's own process_time at SIGTERM
    assert busy.cpu_seconds() == pytest.approx(truth, rel=0.15)

    alloc = start("alloc.py", "150", cgroups=False)
    rss = log_value(alloc, "rss")
    assert alloc.memory_bytes() == pytest.approx(rss, rel=0.15)


@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_resize_then_restart_under_new_limits(start: Start) -> None:
    first = start("idle.py", cpu=1.0, memory_bytes=256 * MIB, cpus=(0,))
    assert "CPUs 0" in first.limits_note
    assert first.cgroup is not None
    first.resize(cpu=0.3, memory_bytes=128 * MIB)
    first.stop()
    second = start("idle.py", cpu=0.3, memory_bytes=128 * MIB)
    assert second.poll() is None
    assert second.cgroup is not None
    assert second.cgroup.name != first.cgroup.name
    assert second.cgroup.pids() == [second.pid]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [pytest.param("cgroups", marks=pytest.mark.cgroups), "none"])
def test_ctrl_c_of_the_parent_leaves_nothing(
    tmp_path: Path, mode: str, request: pytest.FixtureRequest
) -> None:
    if mode == "cgroups":
        request.getfixturevalue("cgroup_only")
    parent = subprocess.Popen(
        [sys.executable, str(CHILDREN / "parent_sigint.py"), str(tmp_path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        made = json.loads(parent.stdout.readline())
        pids: list[int] = made["pids"]
        dirs = [Path(d) for d in made["dirs"]]
        assert len(pids) == 4
        assert bool(dirs) == (mode == "cgroups")
        assert all(d.is_dir() for d in dirs)
        parent.send_signal(signal.SIGINT)  # lands inside wait_ready()
        _, err = parent.communicate(timeout=30)
        assert parent.returncode != 0
        assert "KeyboardInterrupt" in err
        assert wait_until(lambda: all(gone(pid) for pid in pids), 10), "orphans survived"
        assert not any(d.exists() for d in dirs)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@pytest.mark.slow
def test_the_service_dies_with_a_parent_killed_outright(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, str(CHILDREN / "parent_killed.py"), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    pids: list[int] = []
    try:
        assert parent.stdout is not None
        pids = json.loads(parent.stdout.readline())["pids"]
        parent.kill()  # SIGKILL: no teardown runs in the parent
        parent.communicate(timeout=30)
        # the kernel kills the service itself; its own children are its business
        # (servesize's workers follow their supervisor the same way)
        assert wait_until(lambda: gone(pids[0]), 10), "the service outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.communicate(timeout=30)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
