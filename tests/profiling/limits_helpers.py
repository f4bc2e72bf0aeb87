"""Helpers shared by the limits, launcher and sampler tests."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from servesize.profiling import Service, detect

CHILDREN = Path(__file__).parent / "children"


def cgroups_writable() -> bool:
    support = detect()
    return support.available and {"cpu", "cpuacct", "memory"} <= support.controllers


#: the hierarchies a profile's cgroups live in: v1's cpu and memory, v2's unified one
CGROUP_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/cpu"))


def cgroups_of(pid: int, roots: tuple[Path, ...] = CGROUP_ROOTS) -> list[Path]:
    """The cgroups a servesize process ``pid`` created (``servesize-<pid>-...``) that
    still exist.  ``os.walk`` passes over folders that vanish while it walks: other
    test processes remove their own cgroups meanwhile, and ``Path.rglob`` raised
    FileNotFoundError on one (a suite run, tests/profiling/test_procedure.py)."""
    prefix = f"servesize-{pid}-"
    return [
        Path(folder, name)
        for root in roots
        if root.is_dir()
        for folder, names, _ in os.walk(root)
        for name in names
        if name.startswith(prefix)
    ]


def gone(pid: int) -> bool:
    """The process no longer runs (a zombie waiting for init to reap it counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def log_value(service: Service, key: str, timeout: float = 20.0) -> float:
    """The number after ``key`` on a line the child printed to its log."""
    found: list[float] = []

    def look() -> bool:
        for line in service.log_path.read_text().splitlines():
            if line.startswith(key + " "):
                found.append(float(line.split()[1]))
                return True
        return service.poll() is not None

    assert wait_until(look, timeout), f"child never printed {key!r}"
    assert found, f"child exited ({service.returncode}) before printing {key!r}"
    return found[0]
