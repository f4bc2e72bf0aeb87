"""Helpers shared by the limits, launcher and sampler tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psutil

from servesize.profiling import Service, detect

CHILDREN = Path(__file__).parent / "children"


def cgroups_writable() -> bool:
    support = detect()
    return support.available and {"cpu", "cpuacct", "memory"} <= support.controllers


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
