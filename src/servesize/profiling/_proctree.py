"""CPU time and memory of a process tree with psutil, when there is no cgroup.

CPU: the user+system time of every live process of the tree, plus the last value
seen of each process that has since exited (so a worker that dies does not make the
total go backwards).  Processes that start and exit between two samples are missed.
Memory: the sum of RSS, which counts pages shared between forked workers once per
worker, so it errs on the high side — the safe side for sizing.
"""

from __future__ import annotations

import contextlib
import threading

import psutil

__all__ = ["TreeMeter"]


class TreeMeter:
    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._known: dict[int, psutil.Process] = {pid: self._root}
        self._last_cpu: dict[int, float] = {}
        self._exited_cpu = 0.0
        self._lock = threading.Lock()

    def _refresh(self) -> list[psutil.Process]:
        try:
            for child in self._root.children(recursive=True):
                self._known.setdefault(child.pid, child)
        except psutil.Error:
            pass
        return list(self._known.values())

    def processes(self) -> list[psutil.Process]:
        """Every process of the tree seen so far that is still running."""
        with self._lock:
            return [p for p in self._refresh() if _running(p)]

    def cpu_seconds(self) -> float:
        with self._lock:
            live = 0.0
            for proc in self._refresh():
                try:
                    times = proc.cpu_times()
                    self._last_cpu[proc.pid] = times.user + times.system
                    live += times.user + times.system
                except psutil.Error:
                    # Exited: keep its last reading for good and stop asking.
                    self._exited_cpu += self._last_cpu.pop(proc.pid, 0.0)
                    del self._known[proc.pid]
            return self._exited_cpu + live

    def memory_bytes(self) -> int:
        with self._lock:
            total = 0
            for proc in self._refresh():
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            return total


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
