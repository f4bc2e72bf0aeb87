"""Small, cheap file operations on cgroup directories.

Accounting files are kept open and re-read with ``pread`` at offset 0: the kernel
regenerates their content on every read from the start, and this avoids an open and
a close per sample (the sampler reads several files ten times a second).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CFS_PERIOD_US",
    "Backend",
    "StatFile",
    "Throttling",
    "keyed_value",
    "kill_and_remove",
    "quota_us",
    "read_pids",
    "write_value",
]


def write_value(path: Path, value: str) -> None:
    """Write one value to a cgroup control file (a single ``write`` as the kernel wants).

    ``O_TRUNC`` is ignored by cgroupfs (as for ``echo value > file``) but keeps fake
    trees in tests honest."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


class StatFile:
    """An accounting file opened once and re-read from offset 0."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def read(self) -> bytes | None:
        """The file's content, or None when it does not exist (any more)."""
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            return os.pread(self._fd, 16384, 0)
        except OSError:
            self.close()
            return None

    def read_int(self) -> int | None:
        data = self.read()
        try:
            return None if data is None else int(data.split()[0])
        except (IndexError, ValueError):
            return None

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def keyed_value(data: bytes | None, key: bytes) -> int | None:
    """The integer after ``key`` in a ``key value`` per line file (memory.stat, cpu.stat)."""
    if data is None:
        return None
    start = 0
    needle = key + b" "
    while True:
        index = data.find(needle, start)
        if index < 0:
            return None
        if index == 0 or data[index - 1 : index] == b"\n":
            end = data.find(b"\n", index)
            return int(data[index + len(needle) : end if end >= 0 else None])
        start = index + 1


def read_pids(directory: Path) -> list[int]:
    try:
        return [int(word) for word in (directory / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def kill_and_remove(directories: Iterable[Path], timeout: float = 5.0) -> list[str]:
    """SIGKILL every task left in each directory, then ``rmdir`` it.

    Idempotent: a directory already gone is fine.  Returns the problems that remain
    after ``timeout`` (empty when everything was removed); never raises.
    """
    pending = [d for d in directories if d.exists()]
    deadline = time.monotonic() + timeout
    problems: list[str] = []
    while pending:
        still: list[Path] = []
        for directory in pending:
            if (directory / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    write_value(directory / "cgroup.kill", "1")
            for pid in read_pids(directory):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                still.append(directory)
                if time.monotonic() >= deadline:
                    problems.append(f"cannot remove {directory}: {exc.strerror}")
        if problems:
            break
        pending = still
        if pending:
            # The killed tasks take a moment to exit before the kernel lets us rmdir.
            time.sleep(0.01)
    return problems


@dataclass(frozen=True)
class Throttling:
    """The CFS quota's counters of a cgroup (``cpu.stat``), cumulative since creation.

    ``periods``: enforcement periods (100 ms) in which the cgroup ran; ``throttled``:
    those in which it used up its quota and was stopped until the next one;
    ``seconds``: time its run queues spent stopped, summed over CPUs.
    """

    periods: int
    throttled: int
    seconds: float


@dataclass(frozen=True)
class Accounting:
    """Where a cgroup version keeps each figure: a file, and the key of the line in it
    (``None``: the whole file is one number)."""

    cpu: tuple[Path, bytes | None, float] | None  # file, key, seconds per unit
    usage: Path | None  # memory in use, including page cache
    stat: Path | None  # holds the inactive file cache, subtracted from usage
    inactive_key: bytes
    peak: Path | None
    oom: tuple[Path, bytes] | None
    limit_hits: tuple[Path, bytes | None] | None
    #: ``cpu.stat`` and the key and unit of its throttled time (v1 ns, v2 us)
    throttle: tuple[Path, bytes, float] | None = None
    #: PSI ``cpu.pressure`` (v2 only)
    pressure: Path | None = None
    #: the file listing every thread in the cgroup (v1 ``tasks``, v2 ``cgroup.threads``)
    threads: Path | None = None


class Backend:
    """What a cgroup version provides; :class:`servesize.profiling.limits.Cgroup` wraps
    it.  Subclasses create the directories and write the limits; the reads are shared."""

    #: Directories we created (removed in :meth:`Cgroup.remove`).
    dirs: tuple[Path, ...] = ()
    #: The ``cgroup.procs`` files a child writes itself into.
    procs_files: tuple[Path, ...] = ()

    def __init__(self, accounting: Accounting) -> None:
        self._inactive_key = accounting.inactive_key
        self._files: dict[Path, StatFile] = {}
        opened = self._open
        self._cpu = (opened(accounting.cpu[0]), *accounting.cpu[1:]) if accounting.cpu else None
        self._usage = opened(accounting.usage)
        self._stat = opened(accounting.stat)
        self._peak = opened(accounting.peak)
        self._oom = (opened(accounting.oom[0]), accounting.oom[1]) if accounting.oom else None
        hits = accounting.limit_hits
        self._hits = (opened(hits[0]), hits[1]) if hits else None
        throttle = accounting.throttle
        self._throttle = (opened(throttle[0]), *throttle[1:]) if throttle else None
        self._pressure = opened(accounting.pressure)
        self._threads = accounting.threads

    def _open(self, path: Path | None) -> StatFile | None:
        if path is None:
            return None
        return self._files.setdefault(path, StatFile(path))

    def create(self, cpus: tuple[int, ...] | None) -> None:
        raise NotImplementedError

    def apply(self, cpu: float | None, memory_bytes: int | None) -> None:
        raise NotImplementedError

    def cpu_seconds(self) -> float | None:
        if self._cpu is None or self._cpu[0] is None:
            return None
        stat, key, unit = self._cpu
        value = _number(stat, key)
        return None if value is None else value * unit

    def memory_bytes(self) -> int | None:
        usage = self._usage.read_int() if self._usage else None
        if usage is None or self._stat is None:
            return None
        inactive = keyed_value(self._stat.read(), self._inactive_key) or 0
        return max(0, usage - inactive)

    def peak_memory_bytes(self) -> int | None:
        return self._peak.read_int() if self._peak else None

    def oom_kills(self) -> int | None:
        return _number(*self._oom) if self._oom else None

    def hit_memory_limit(self) -> bool:
        return bool(self._hits and (_number(*self._hits) or 0) > 0)

    def throttling(self) -> Throttling | None:
        """The quota's counters, None without a cpu controller (no ``nr_periods``)."""
        stat, key, unit = self._throttle or (None, b"", 0.0)
        if stat is None:
            return None
        data = stat.read()
        periods = keyed_value(data, b"nr_periods")
        throttled = keyed_value(data, b"nr_throttled")
        seconds = keyed_value(data, key)
        if periods is None or throttled is None or seconds is None:
            return None
        return Throttling(periods, throttled, seconds * unit)

    def pressure_seconds(self) -> float | None:
        """PSI: time at least one task of the cgroup waited for a CPU (``some total``)."""
        data = self._pressure.read() if self._pressure else None
        if not data:
            return None
        for line in data.splitlines():
            if line.startswith(b"some "):
                for word in line.split():
                    if word.startswith(b"total="):
                        return int(word[6:]) / 1e6
        return None

    def threads(self) -> list[int]:
        """Every thread id in the cgroup (empty when the file cannot be read)."""
        if self._threads is None:
            return []
        try:
            return [int(word) for word in self._threads.read_bytes().split()]
        except (OSError, ValueError):
            return []

    def close(self) -> None:
        for stat in self._files.values():
            stat.close()


def _number(stat: StatFile | None, key: bytes | None) -> int | None:
    if stat is None:
        return None
    return stat.read_int() if key is None else keyed_value(stat.read(), key)


CFS_PERIOD_US = 100_000


def quota_us(cpu: float) -> int:
    # The kernel refuses quotas below 1 ms.
    return max(1000, round(cpu * CFS_PERIOD_US))
