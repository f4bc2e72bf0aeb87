"""A service servesize did not start (``--url``): probed and, given its pid, sampled.

It has the running service's interface so the procedure needs no second path, but
it never limits, signals or stops the service: it is the user's.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import psutil

from servesize.errors import ServiceError
from servesize.profiling._probe import http_ok, port_open
from servesize.profiling._proctree import TreeMeter

__all__ = ["AttachedService", "not_measured"]


class AttachedService:
    """The service at a URL; ``pid`` (or None) is the process tree to sample."""

    cgroup = None
    limits_enforced = False
    oom_killed = False

    def __init__(self, url: str, pid: int | None, log_path: Path) -> None:
        self.url = url
        self.pid = pid
        self.log_path = log_path
        self.spawned_at = time.monotonic()  # attach time: the origin of the samples
        self.limits_note = "attached to a running service: servesize set no limits" + (
            "" if pid else " and sampled no process (no --pid)"
        )
        self._meter = TreeMeter(pid) if pid else None
        self._create_time = _create_time(pid) if pid else None
        self._idle = threading.Event()  # never set: a wait that is only a pause
        self._last_cpu = 0.0

    @property
    def measured(self) -> bool:
        """True when CPU and memory are sampled (a pid was named)."""
        return self._meter is not None

    def poll(self) -> int | None:
        """None while the named process runs (always None without a pid); -1 once gone."""
        if self.pid is None or self._create_time is None:
            return None
        try:
            alive = psutil.Process(self.pid).create_time() == self._create_time
        except psutil.Error:
            alive = False
        return None if alive else -1

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def wait_ready(self, url: str, timeout: float, *, port_only: bool = False) -> float:
        deadline = time.monotonic() + timeout
        probe = port_open if port_only else http_ok
        while True:
            if self.poll() is not None:
                raise ServiceError(f"the process {self.pid} behind {self.url} has exited")
            if probe(url, max(0.05, min(1.0, deadline - time.monotonic()))):
                return time.monotonic() - self.spawned_at
            if time.monotonic() >= deadline:
                what = "accepted a connection at" if port_only else "answered 200 to GET"
                raise ServiceError(f"nothing {what} {url} within {timeout:g} s")
            self._idle.wait(0.05)

    def cpu_seconds(self) -> float:
        if self._meter is not None:
            with contextlib.suppress(psutil.Error):
                self._last_cpu = max(self._last_cpu, self._meter.cpu_seconds())
        return self._last_cpu

    def memory_bytes(self) -> int:
        if self._meter is None:
            return 0
        with contextlib.suppress(psutil.Error):
            return self._meter.memory_bytes()
        return 0

    def peak_memory_bytes(self) -> int | None:
        return None

    def oom_kills(self) -> int:
        return 0

    def stop(self, timeout: float = 5.0) -> None:
        """Nothing: the service belongs to the user and keeps running."""

    def __repr__(self) -> str:
        return f"<AttachedService {self.url} pid={self.pid}>"


def _create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


_NO_LIMITS = "servesize attached to a running service and set no limits on it"
_NO_PID = "no --pid named the server's process, so its CPU and memory were not sampled"


def not_measured(sampled: bool) -> dict[str, str]:
    """The figures an attached profile cannot give, each with the reason (``notMeasured``)."""
    gaps = {
        "requestedCpu": _NO_LIMITS,
        "requestedMemoryInGB": _NO_LIMITS,
        "coldStartSeconds": "the service was already running",
        "recommendationLatencyInMs": f"{_NO_LIMITS}, so the recommendation was not confirmed",
        "oomKilled": "servesize has no view of the service's memory limit",
    }
    cpu_memory = (
        "maxUtilizedCpu",
        "averageUtilizedCpu",
        "cpuSecondsPerQuery",
        "maxUtilizedMemoryInGB",
        "idleMemoryInGB",
        "recommendedCpu",
        "recommendedMemoryInGB",
    )
    if not sampled:
        gaps.update(dict.fromkeys(cpu_memory, _NO_PID))
    return gaps
