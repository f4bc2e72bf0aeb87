"""CPU time and memory of a process tree, when there is no cgroup to ask.

CPU: the user+system time of every process of the tree seen so far, read from
``/proc/<pid>/stat``, plus the last value of each one that has since exited (so a
worker that dies does not make the total go backwards).  Memory: the sum of RSS
from ``/proc/<pid>/statm``, which counts pages shared between forked workers once per
worker, so it errs on the high side — the safe side for sizing.

Finding new members needs a scan of every process on the machine (the kernel here
has no ``/proc/<pid>/task/<tid>/children``), so the tree is re-scanned at most once a
second while the known members are read on every call: a process that lives less
than a second between two scans is missed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

import psutil

__all__ = ["TreeMeter", "process_stat"]

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_RESCAN_SECONDS = 1.0


class TreeMeter:
    def __init__(self, pid: int) -> None:
        self._root = pid
        self._start: dict[int, int] = {}  # pid -> start time, to notice pid reuse
        self._last_cpu: dict[int, float] = {}
        self._exited_cpu = 0.0
        self._scanned_at = -_RESCAN_SECONDS
        self._lock = threading.Lock()

    def _members(self) -> list[int]:
        now = time.monotonic()
        if now - self._scanned_at >= _RESCAN_SECONDS:
            self._scanned_at = now
            found = [self._root]
            with contextlib.suppress(psutil.Error):
                found += [c.pid for c in psutil.Process(self._root).children(recursive=True)]
            for pid in found:
                if pid not in self._start:
                    stat = process_stat(pid)
                    if stat is not None:
                        self._start[pid] = stat[2]
        return list(self._start)

    def pids(self) -> list[int]:
        """The members seen so far (the tree is re-scanned at most once a second)."""
        with self._lock:
            return self._members()

    def processes(self) -> list[psutil.Process]:
        """Every member seen so far that still runs (for the teardown)."""
        with self._lock:
            self._scanned_at = -_RESCAN_SECONDS  # a fresh scan: the teardown must see all
            members = self._members()
        alive: list[psutil.Process] = []
        for pid in members:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
        return alive

    def cpu_seconds(self) -> float:
        with self._lock:
            live = 0.0
            for pid in self._members():
                stat = process_stat(pid)
                if stat is None or stat[2] != self._start[pid]:
                    # Exited (or its pid reused): keep its last reading for good.
                    self._exited_cpu += self._last_cpu.pop(pid, 0.0)
                    del self._start[pid]
                    continue
                self._last_cpu[pid] = stat[0] + stat[1]
                live += stat[0] + stat[1]
            return self._exited_cpu + live

    def memory_bytes(self) -> int:
        with self._lock:
            total = 0
            for pid in self._members():
                with (
                    contextlib.suppress(OSError, ValueError, IndexError),
                    open(f"/proc/{pid}/statm", "rb") as statm,
                ):
                    total += int(statm.read().split()[1]) * _PAGE
            return total


def process_stat(pid: int) -> tuple[float, float, int] | None:
    """(user seconds, system seconds, start time in ticks) of a live process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ")".
    fields = data[data.rfind(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK, int(fields[19])
