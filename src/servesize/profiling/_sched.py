"""How long the service waited for a CPU, and how much the CFS quota stopped it.

Three kernel counters, read together by the sampler (``SchedMeter.read``):

- run-queue delay, per thread, from ``/proc/<tid>/schedstat`` (a thread's id opens its
  own hidden ``/proc`` entry; the second field: nanoseconds spent runnable but not
  running).  It exists on every kernel with schedstats, with or without cgroups.
  It counts *every* reason to wait: another process on the CPU (contention), the
  cgroup's quota being spent (throttling; measured here on Linux 6.18: a busy loop
  under a 0.2-core quota waits 0.8 s a second), and the service's own threads queued
  behind each other;
- the quota's counters from the cgroup's ``cpu.stat`` (:class:`Throttling`);
- the busy time of the CPUs the service may run on, from ``/proc/stat`` (including
  *steal*: time a hypervisor gave the CPU to another guest).

Contention — waiting for a CPU that *other* processes held — is the delay minus the
throttled time, capped by what other processes actually ran on the service's CPUs
(their busy time minus the service's own CPU time): without the cap, a service whose
workers queue behind each other on one CPU would look contended on an idle machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from servesize.profiling._cgroup_fs import StatFile, Throttling

__all__ = ["SchedMeter", "SchedReading", "contention_seconds", "process_threads"]

_TICK = os.sysconf("SC_CLK_TCK")
# /proc/stat columns after "cpuN": user nice system idle iowait irq softirq steal
_IDLE_COLUMNS = (3, 4)
_COUNTED_COLUMNS = 8


@dataclass(frozen=True)
class SchedReading:
    """Cumulative counters at one instant (seconds; None where unavailable)."""

    run_delay: float
    cpus_busy: float | None
    throttling: Throttling | None
    pressure: float | None


def contention_seconds(wait: float, throttled: float, others_busy: float | None) -> float:
    """Seconds the service waited for CPUs held by other processes over an interval.

    ``wait``: run-queue delay summed over its threads; ``throttled``: the quota's
    throttled time; ``others_busy``: CPU time others used on the service's CPUs
    (None: unknown, no cap).
    """
    waited = max(0.0, wait - throttled)
    return waited if others_busy is None else min(waited, max(0.0, others_busy))


class RunDelay:
    """The run-queue delay of a changing set of threads, kept monotonic: a thread that
    exits keeps its last reading in the total."""

    def __init__(self, proc: Path = Path("/proc")) -> None:
        self._proc = proc
        self._files: dict[int, StatFile] = {}
        self._last: dict[int, int] = {}
        self._gone_ns = 0

    def read(self, threads: Iterable[int]) -> float:
        """Total delay in seconds of the ``threads`` (ids) and of those seen before."""
        seen: set[int] = set()
        for tid in threads:
            seen.add(tid)
            stat = self._files.get(tid)
            if stat is None:
                stat = self._files[tid] = StatFile(self._proc / f"{tid}/schedstat")
            data = stat.read()
            try:
                value = int(data.split()[1]) if data else None
            except (IndexError, ValueError):
                value = None
            last = self._last.get(tid, 0)
            if value is None:
                continue
            if value < last:  # the tid was reused by a new thread
                self._gone_ns += last
            self._last[tid] = value
        for tid in [t for t in self._last if t not in seen]:
            self._gone_ns += self._last.pop(tid)
            self._files.pop(tid).close()
        return (self._gone_ns + sum(self._last.values())) / 1e9

    def close(self) -> None:
        for stat in self._files.values():
            stat.close()
        self._files.clear()


class CpusBusy:
    """CPU time spent on a set of CPUs by anyone (``/proc/stat``), in seconds."""

    def __init__(self, cpus: Iterable[int], proc_stat: Path = Path("/proc/stat")) -> None:
        self._names = {f"cpu{cpu}".encode() for cpu in cpus}
        self._path = proc_stat

    def read(self) -> float | None:
        try:
            # /proc/stat grows with the CPU count and the interrupt lines: read it whole
            data = self._path.read_bytes()
        except OSError:
            return None
        ticks = 0
        found = 0
        for line in data.splitlines():
            if not line.startswith(b"cpu"):
                break
            fields = line.split()
            if fields[0] in self._names:
                found += 1
                values = [int(v) for v in fields[1 : 1 + _COUNTED_COLUMNS]]
                ticks += sum(values) - sum(values[i] for i in _IDLE_COLUMNS if i < len(values))
        return ticks / _TICK if found else None


class SchedMeter:
    """Reads :class:`SchedReading` for one service.

    ``threads`` lists the service's thread ids now; ``cpus`` the CPUs it may run
    on; ``throttling`` and ``pressure`` read its cgroup (None without one).
    """

    def __init__(
        self,
        threads: Callable[[], Iterable[int]],
        cpus: Iterable[int],
        throttling: Callable[[], Throttling | None] = lambda: None,
        pressure: Callable[[], float | None] = lambda: None,
        proc: Path = Path("/proc"),
    ) -> None:
        self._threads = threads
        self._delay = RunDelay(proc)
        self._busy = CpusBusy(cpus, proc / "stat")
        self._throttling = throttling
        self._pressure = pressure

    def read(self) -> SchedReading:
        return SchedReading(
            run_delay=self._delay.read(self._threads()),
            cpus_busy=self._busy.read(),
            throttling=self._throttling(),
            pressure=self._pressure(),
        )

    def close(self) -> None:
        self._delay.close()


def process_threads(pids: Iterable[int], proc: Path = Path("/proc")) -> list[int]:
    """The thread ids of every process in ``pids`` (processes that exited are skipped)."""
    out: list[int] = []
    for pid in pids:
        try:
            out.extend(int(tid) for tid in os.listdir(proc / f"{pid}/task"))
        except (OSError, ValueError):
            continue
    return out
