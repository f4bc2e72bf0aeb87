"""CPU and memory limits for the scoring service, with cgroups (v2 or v1).

The public surface:

- :func:`detect(root, proc_self_cgroup) <detect>` -> :class:`CgroupSupport`
  (``version``, ``reason``, usable ``controllers``);
- :meth:`Cgroup.create(support, name=None, cpu=None, memory_bytes=None, cpus=None)
  <Cgroup.create>` makes one cgroup per hierarchy, named
  ``servesize-<pid>-s<start>-<hex>`` (the owner's pid and start time, in clock ticks
  since boot) under this process's own cgroup, and sets the limits; :meth:`Cgroup.preexec`
  returns a ``preexec_fn`` that moves the child into it before it execs;
  ``cpu_seconds()``, ``memory_bytes()`` (usage minus inactive file cache),
  ``peak_memory_bytes()``, ``oom_kills()``, ``set_limits()``, ``remove()``;
- :func:`plan_cpus` -> :class:`CpuPlan`: the service's CPUs and the generator's.

>>> support = detect()
>>> if support.available:
...     cgroup = Cgroup.create(support, cpu=0.5, memory_bytes=256 << 20)
...     # subprocess.Popen(argv, preexec_fn=cgroup.preexec()) ... cgroup.remove()
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

from servesize.errors import InvalidNameError, LimitsError
from servesize.profiling._cgroup_detect import CgroupSupport, detect
from servesize.profiling._cgroup_fs import Backend, Throttling, kill_and_remove, read_pids
from servesize.profiling._cgroup_v1 import V1Backend
from servesize.profiling._cgroup_v2 import V2Backend
from servesize.profiling._cpuset import CpuPlan, plan_cpus
from servesize.profiling._proctree import process_stat
from servesize.profiling.settings import check_limit_values

__all__ = ["Cgroup", "CgroupSupport", "CpuPlan", "detect", "new_cgroup_name", "plan_cpus"]

# The owner's start time is optional so cgroups named by older versions are still swept.
_NAME = re.compile(r"servesize-([0-9]+)(?:-s([0-9]+))?-[0-9a-f]{4,32}")


def new_cgroup_name() -> str:
    """A fresh ``servesize-<pid>-s<start ticks>-<random hex>`` name (never from users).

    The pid and start time say which process owns the cgroup, so a later run can tell
    a dead owner's leftovers from a live one's even after the pid was reused."""
    return f"servesize-{os.getpid()}-s{start_ticks(os.getpid())}-{secrets.token_hex(6)}"


class Cgroup:
    """One service's cgroup (a directory per v1 hierarchy, or one v2 directory)."""

    def __init__(self, support: CgroupSupport, name: str, backend: Backend) -> None:
        self.support = support
        self.name = name
        self._backend = backend
        # Reads come from the sampler thread while remove() may run in the main one.
        self._lock = threading.Lock()
        self._removed = False

    @classmethod
    def create(
        cls,
        support: CgroupSupport,
        name: str | None = None,
        cpu: float | None = None,
        memory_bytes: int | None = None,
        cpus: tuple[int, ...] | None = None,
    ) -> Cgroup:
        """Create the cgroup and set its limits; ``LimitsError`` says why it could not."""
        check_limit_values(cpu, memory_bytes)
        name = name or new_cgroup_name()
        if not _NAME.fullmatch(name):
            raise InvalidNameError(
                f"cgroup name must look like servesize-<pid>-s<start>-<hex>: {name!r}"
            )
        if support.version is None:
            raise LimitsError(f"cannot create a cgroup: {support.reason}")
        for wanted, controller in ((cpu, "cpu"), (memory_bytes, "memory"), (cpus, "cpuset")):
            if wanted is not None and controller not in support.controllers:
                raise LimitsError(f"no usable {controller} controller: {support.reason}")
        _sweep_stale(support)
        backend: Backend
        if support.version == "v2":
            parent = next(iter(support.parents.values()))
            backend = V2Backend(parent, name, support.controllers)
        else:
            backend = V1Backend(support.parents, name, with_cpuset=cpus is not None)
        cgroup = cls(support, name, backend)
        try:
            backend.create(cpus)
            backend.apply(cpu, memory_bytes)
        except OSError as exc:
            cgroup.remove()
            where = exc.filename or "cgroup"
            raise LimitsError(f"cannot set up cgroup limits ({where}: {exc.strerror})") from exc
        except BaseException:
            cgroup.remove()
            raise
        return cgroup

    @property
    def dirs(self) -> tuple[Path, ...]:
        return self._backend.dirs

    def preexec(self) -> Callable[[], None]:
        """A ``preexec_fn``: the forked child writes itself into every ``cgroup.procs``.

        Writing ``0`` means "the writing task", so the child needs no ``getpid`` nor
        string formatting: only pre-built bytes and raw ``os`` calls after ``fork``.
        """
        paths = tuple(os.fsencode(p) for p in self._backend.procs_files)

        def join() -> None:
            for path in paths:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, b"0")
                finally:
                    os.close(fd)

        return join

    def pids(self) -> list[int]:
        """Processes currently in the cgroup (any hierarchy)."""
        return sorted({pid for d in self._backend.dirs for pid in read_pids(d)})

    def cpu_seconds(self) -> float | None:
        """CPU time used by every task ever in the cgroup, or None without accounting."""
        with self._lock:
            return None if self._removed else self._backend.cpu_seconds()

    def memory_bytes(self) -> int | None:
        """Memory in use minus inactive file cache (what the OOM killer cannot reclaim)."""
        with self._lock:
            return None if self._removed else self._backend.memory_bytes()

    def peak_memory_bytes(self) -> int | None:
        """The kernel's high-water mark (includes page cache), when the kernel has one."""
        with self._lock:
            return None if self._removed else self._backend.peak_memory_bytes()

    def oom_kills(self) -> int | None:
        """How many tasks the OOM killer killed in this cgroup."""
        with self._lock:
            return None if self._removed else self._backend.oom_kills()

    def hit_memory_limit(self) -> bool:
        """Whether usage ever reached the memory limit (v1 failcnt, v2 events ``max``)."""
        with self._lock:
            return not self._removed and self._backend.hit_memory_limit()

    def throttling(self) -> Throttling | None:
        """The CFS quota's counters (``cpu.stat``), None without a cpu controller."""
        with self._lock:
            return None if self._removed else self._backend.throttling()

    def pressure_seconds(self) -> float | None:
        """PSI ``cpu.pressure`` ``some`` total in seconds (cgroup v2 with PSI only)."""
        with self._lock:
            return None if self._removed else self._backend.pressure_seconds()

    def threads(self) -> list[int]:
        """Every thread id in the cgroup."""
        with self._lock:
            return [] if self._removed else self._backend.threads()

    def set_limits(self, cpu: float | None = None, memory_bytes: int | None = None) -> None:
        """Change the limits in place (None lifts a limit)."""
        check_limit_values(cpu, memory_bytes)
        for wanted, controller in ((cpu, "cpu"), (memory_bytes, "memory")):
            if wanted is not None and controller not in self.support.controllers:
                raise LimitsError(f"no usable {controller} controller: {self.support.reason}")
        try:
            self._backend.apply(cpu, memory_bytes)
        except OSError as exc:
            raise LimitsError(f"cannot change cgroup limits ({exc.strerror})") from exc

    def remove(self, timeout: float = 5.0) -> None:
        """Kill any task left inside, then remove the directories. Idempotent."""
        with self._lock:
            self._removed = True
            self._backend.close()
        problems = kill_and_remove(self._backend.dirs, timeout)
        if problems:
            raise LimitsError("; ".join(problems))


def _sweep_stale(support: CgroupSupport) -> None:
    """Remove the cgroups of servesize runs whose owner process is gone.

    Only names we make are touched.  With the owner's start time in the name a dead
    owner is certain (same pid, other start: reused), so its cgroup goes even with
    processes left inside (an orphaned service); a name without it (older versions)
    is removed only when empty and its pid is free.
    """
    for parent in set(support.parents.values()):
        try:
            entries = list(parent.iterdir())
        except OSError:
            continue
        for entry in entries:
            match = _NAME.fullmatch(entry.name)
            if match is None or not entry.is_dir():
                continue
            pid, start = int(match[1]), match[2]
            if start is not None:
                if start_ticks(pid) != int(start):
                    kill_and_remove([entry], timeout=0.5)
            elif pid != os.getpid() and not _alive(pid) and not read_pids(entry):
                kill_and_remove([entry], timeout=0.5)


def start_ticks(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, None when gone."""
    stat = process_stat(pid)
    return None if stat is None else stat[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
