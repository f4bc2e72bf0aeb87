"""The running service: readiness, accounting, OOM detection and teardown."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, TracebackType

import psutil

from servesize.errors import LimitsError, ServiceError
from servesize.profiling._probe import http_ok, log_tail
from servesize.profiling._proctree import TreeMeter
from servesize.profiling._sched import SchedMeter, SchedReading, process_threads
from servesize.profiling.limits import Cgroup

__all__ = ["Service"]

_POLL_INTERVAL = 0.05


class Service:
    """A launched service (made by :func:`servesize.profiling.launcher.launch`).

    ``pid``, ``spawned_at`` (``time.monotonic()`` at spawn), ``log_path``, ``cgroup``
    (or None), ``limits_enforced``, ``limits_note``.  A context manager: leaving the
    block calls :meth:`stop`.
    """

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        *,
        spawned_at: float,
        log_path: Path,
        cgroup: Cgroup | None,
        limits_enforced: bool,
        limits_note: str,
        memory_limit: int | None,
    ) -> None:
        self._popen = popen
        self.pid = popen.pid
        self.spawned_at = spawned_at
        self.log_path = log_path
        self.cgroup = cgroup
        self.limits_enforced = limits_enforced
        self.limits_note = limits_note
        self._memory_limit = memory_limit
        self._meter = TreeMeter(popen.pid)
        self._stop_lock = threading.RLock()
        self._stopped = False
        self._rc_before_stop: int | None = None
        self._stop_began = False
        self._last_cpu = 0.0
        self._final_oom_kills = 0
        self._final_hit_limit = False
        self._sched: SchedMeter | None = None

    # -- state -------------------------------------------------------------------------

    def poll(self) -> int | None:
        """The exit code (negative: killed by that signal), or None while running."""
        return self._popen.poll()

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    @property
    def oom_killed(self) -> bool:
        """The cgroup's OOM killer struck, or the service died of SIGKILL at its limit."""
        if self.oom_kills() > 0:
            return True
        rc = self._rc_before_stop if self._stop_began else self.poll()
        hit = (
            self._final_hit_limit
            if self._stopped
            else bool(self.cgroup and self.cgroup.hit_memory_limit())
        )
        return rc == -signal.SIGKILL and self._memory_limit is not None and hit

    def wait_ready(self, url: str, timeout: float) -> float:
        """Poll ``GET url`` until it answers 200; return seconds since spawn.

        Raises ``ServiceError`` (with the exit code and the log's last lines) when the
        service exits first or ``timeout`` seconds pass; the service is left as it is.
        """
        deadline = time.monotonic() + timeout
        while True:
            rc = self.poll()
            if rc is not None:
                raise ServiceError(self._describe_exit(rc, "before it became ready"))
            remaining = deadline - time.monotonic()
            if http_ok(url, timeout=max(0.05, min(1.0, remaining))):
                return time.monotonic() - self.spawned_at
            if time.monotonic() >= deadline:
                raise ServiceError(
                    f"service did not answer 200 to GET {url} within the {timeout:g} s "
                    f"deadline{self._tail()}"
                )
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=min(_POLL_INTERVAL, max(0.0, remaining)))

    def _describe_exit(self, rc: int, when: str) -> str:
        how = f"code {rc}"
        if rc < 0:
            with contextlib.suppress(ValueError):
                how = f"code {rc} ({signal.Signals(-rc).name})"
        oom = ", killed by the OOM killer at its memory limit" if self.oom_killed else ""
        # The scoring host's last line names the cause ("error: init() failed: ..."):
        # then one line says it all (callers add the log's path), the log keeps the traceback.
        last = (log_tail(self.log_path, lines=1) or "").strip()
        if last.startswith("error: ") and not oom:
            cause = last.removeprefix("error: ")
            return f"{cause} (service exited with {how} {when})"
        return f"service exited with {how} {when}{oom}{self._tail()}"

    def _tail(self) -> str:
        tail = log_tail(self.log_path)
        body = "\n".join(f"  {line}" for line in tail.splitlines()) or "  (empty)"
        return f"\nlast lines of {self.log_path}:\n{body}"

    # -- accounting ----------------------------------------------------------------------

    def cpu_seconds(self) -> float:
        """CPU time of the whole service so far (cgroup, else psutil over the tree)."""
        value = self.cgroup.cpu_seconds() if self.cgroup else None
        if value is None and not self._stopped:
            with contextlib.suppress(psutil.Error):
                value = self._meter.cpu_seconds()
        if value is not None:
            self._last_cpu = max(self._last_cpu, value)
        return self._last_cpu

    def memory_bytes(self) -> int:
        """Working set now: cgroup usage minus inactive file cache, else the tree's RSS."""
        if self._stopped:
            return 0
        value = self.cgroup.memory_bytes() if self.cgroup else None
        if value is None:
            with contextlib.suppress(psutil.Error):
                value = self._meter.memory_bytes()
        return value or 0

    def peak_memory_bytes(self) -> int | None:
        """The kernel's high-water mark of the cgroup (includes page cache), if any."""
        return self.cgroup.peak_memory_bytes() if self.cgroup else None

    def oom_kills(self) -> int:
        if self._stopped or self.cgroup is None:
            return self._final_oom_kills
        return self.cgroup.oom_kills() or 0

    def sched_reading(self) -> SchedReading | None:
        """Run-queue delay, busy time of its CPUs, quota throttling (see ``_sched``)."""
        if self._stopped:
            return None
        if self._sched is None:
            try:
                cpus = os.sched_getaffinity(self.pid)
            except OSError:
                return None
            cgroup = self.cgroup
            self._sched = SchedMeter(
                threads=cgroup.threads if cgroup else self._tree_threads,
                cpus=cpus,
                throttling=cgroup.throttling if cgroup else lambda: None,
                pressure=cgroup.pressure_seconds if cgroup else lambda: None,
            )
        return self._sched.read()

    def _tree_threads(self) -> list[int]:
        with contextlib.suppress(psutil.Error):
            return process_threads(self._meter.pids())
        return []

    def resize(self, cpu: float | None = None, memory_bytes: int | None = None) -> None:
        """Change the limits in place (needs a cgroup; None lifts a limit)."""
        if self.cgroup is None:
            raise LimitsError(f"cannot resize: {self.limits_note}")
        self.cgroup.set_limits(cpu=cpu, memory_bytes=memory_bytes)
        self._memory_limit = memory_bytes

    # -- teardown ------------------------------------------------------------------------

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the group, wait up to ``timeout``, SIGKILL the group and anything left
        in the tree or the cgroup, reap, remove the cgroup. Idempotent; a Ctrl-C during
        the graceful wait skips to the forceful part and is re-raised after it."""
        with self._stop_lock:
            if self._stopped:
                return
            if not self._stop_began:
                self._stop_began = True
                self._rc_before_stop = self.poll()
            tree = self._meter.processes()
            self.cpu_seconds()
            interrupted = False
            try:
                self._signal_group(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._popen.wait(timeout=timeout)
            except KeyboardInterrupt:
                interrupted = True
            with _sigint_deferred() as deferred:
                self._force(tree)
            if interrupted or deferred:
                raise KeyboardInterrupt

    def _force(self, tree: list[psutil.Process]) -> None:
        self._signal_group(signal.SIGKILL)
        for proc in tree:  # children that left the group (setsid) but not the tree
            with contextlib.suppress(psutil.Error):
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout=5)
        problem: LimitsError | None = None
        if self.cgroup is not None:
            self._final_oom_kills = self.cgroup.oom_kills() or 0
            self._final_hit_limit = self.cgroup.hit_memory_limit()
            try:
                self.cgroup.remove()
            except LimitsError as exc:
                problem = exc
        self._stopped = True
        if self._sched is not None:
            self._sched.close()
        if problem is not None:
            raise problem

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def __enter__(self) -> Service:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else f"rc={self.poll()}"
        return f"<Service pid={self.pid} {state} {self.limits_note!r}>"


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[list[int]]:
    """Hold off Ctrl-C while the forceful teardown runs (main thread only)."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def remember(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)
