"""Sample the service's CPU and memory every ``interval`` seconds in a daemon thread.

``Sampler(service, interval=0.1)``: ``start()``/``stop()`` or a ``with`` block;
``phase`` is set by the procedure and stamped on each sample; ``samples`` is a list
of ``{t, phase, cpu, memoryInGB, oomKills, contention, throttled}`` (``t``: seconds
since the service was spawned; ``cpu``: cores used over the interval; ``memoryInGB``:
working set in GiB; ``oomKills``: cumulative; ``contention``: share of the interval
spent waiting for CPUs other processes held; ``throttled``: share of the quota's
periods that throttled it, None without a quota); ``peak_memory_bytes`` is the largest
working set sampled; ``per_second(phase)`` gives the CPU cores of each 1 s bucket of a
phase and ``phase_figures(phase)`` its contention and throttling (:class:`PhaseFigures`).

The service's counters come from cgroup files kept open and re-read with ``pread``,
so a sample costs a few system calls (measured in docs/limits.md, "Cost of the sampler").

>>> with Sampler(service) as sampler:  # doctest: +SKIP
...     sampler.phase = "measurement"
...     run_load(spec)
>>> max(sampler.per_second("measurement"))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from servesize.profiling._sched import SchedReading, contention_seconds
from servesize.profiling.phases import PhaseFigures
from servesize.profiling.settings import GIB

__all__ = ["Sampler"]


class Measured(Protocol):
    """What the sampler needs from a service (``launcher.Service`` provides it)."""

    spawned_at: float

    def cpu_seconds(self) -> float: ...

    def memory_bytes(self) -> int: ...

    def oom_kills(self) -> int: ...


@dataclass(frozen=True)
class _Interval:
    start: float  # seconds since spawn
    end: float
    phase: str
    cores: float


class Sampler:
    def __init__(self, service: Measured, interval: float = 0.1) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be > 0 s, got {interval}")
        self.service = service
        self.interval = interval
        self.phase = "idle"
        self.samples: list[dict[str, Any]] = []
        self.peak_memory_bytes = 0
        self._intervals: list[_Interval] = []
        self._phases: dict[str, PhaseFigures] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Sampler:
        if self._thread is not None:
            raise RuntimeError("a Sampler can be started once")
        self._thread = threading.Thread(target=self._run, name="servesize-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (idempotent) after taking one last sample."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _sched(self) -> SchedReading | None:
        read = getattr(self.service, "sched_reading", None)  # optional in Measured
        if read is None:
            return None
        try:
            reading: SchedReading | None = read()
        except (OSError, ValueError):  # /proc entries vanish as threads exit
            return None
        return reading

    def _run(self) -> None:
        last_wall = time.monotonic()
        last_cpu = self.service.cpu_seconds()
        last_sched = self._sched()
        tick = last_wall
        while True:
            tick += self.interval
            # Sleep to the next tick on a fixed grid so the cadence does not drift.
            stopping = self._stop.wait(max(0.0, tick - time.monotonic()))
            wall = time.monotonic()
            cpu = self.service.cpu_seconds()
            sched = self._sched()
            memory = self.service.memory_bytes()
            self._record(last_wall, wall, cpu - last_cpu, memory, self.service.oom_kills())
            self._record_sched(wall - last_wall, cpu - last_cpu, last_sched, sched)
            last_wall, last_cpu, last_sched = wall, cpu, sched or last_sched
            if stopping:
                return
            if wall > tick + self.interval:
                tick = wall  # we fell behind (a stalled machine): resynchronise

    def _record(self, start: float, end: float, cpu: float, memory: int, ooms: int) -> None:
        elapsed = end - start
        if elapsed <= 0:
            return
        spawned = self.service.spawned_at
        cores = max(0.0, cpu) / elapsed
        phase = self.phase
        with self._lock:
            self.peak_memory_bytes = max(self.peak_memory_bytes, memory)
            self._intervals.append(_Interval(start - spawned, end - spawned, phase, cores))
            self.samples.append(
                {
                    "t": round(end - spawned, 4),
                    "phase": phase,
                    "cpu": round(cores, 4),
                    "memoryInGB": round(memory / GIB, 6),
                    "oomKills": ooms,
                    "contention": None,
                    "throttled": None,
                }
            )

    def _record_sched(
        self, elapsed: float, cpu: float, before: SchedReading | None, now: SchedReading | None
    ) -> None:
        """Contention and throttling over one interval, into the last sample and its phase."""
        if elapsed <= 0:
            return
        contention = periods = throttled = throttled_s = pressure = None
        if before is not None and now is not None:
            throttled_s = 0.0
            if before.throttling is not None and now.throttling is not None:
                periods = now.throttling.periods - before.throttling.periods
                throttled = now.throttling.throttled - before.throttling.throttled
                throttled_s = now.throttling.seconds - before.throttling.seconds
            others = None
            if before.cpus_busy is not None and now.cpus_busy is not None:
                others = now.cpus_busy - before.cpus_busy - max(cpu, 0.0)
            contention = contention_seconds(now.run_delay - before.run_delay, throttled_s, others)
            if periods is None:
                throttled_s = None
            if before.pressure is not None and now.pressure is not None:
                pressure = now.pressure - before.pressure
        with self._lock:
            figures = self._phases.setdefault(self.phase, PhaseFigures(self.phase))
            figures.add(
                elapsed, max(cpu, 0.0), contention, periods, throttled, throttled_s, pressure
            )
            if self.samples and contention is not None:
                self.samples[-1]["contention"] = round(contention / elapsed, 4)
            if self.samples and periods:
                self.samples[-1]["throttled"] = round((throttled or 0) / periods, 4)
            elif self.samples and periods == 0:
                self.samples[-1]["throttled"] = 0.0

    def phase_figures(self, phase: str) -> PhaseFigures:
        """Contention and throttling summed over ``phase`` (empty if never sampled)."""
        with self._lock:
            found = self._phases.get(phase)
            return PhaseFigures(phase) if found is None else dataclasses.replace(found)

    def phases(self) -> list[PhaseFigures]:
        """The figures of every phase sampled, in the order they began."""
        with self._lock:
            return [dataclasses.replace(f) for f in self._phases.values()]

    def per_second(self, phase: str) -> list[float]:
        """CPU cores averaged over each 1 s bucket of ``phase`` (from its first sample).

        Buckets are time-weighted averages of the intervals ending in them; a bucket
        covering less than half a second (the phase's ragged end) is left out.
        """
        with self._lock:
            intervals = [i for i in self._intervals if i.phase == phase]
        if not intervals:
            return []
        origin = intervals[0].start
        busy: dict[int, float] = {}
        covered: dict[int, float] = {}
        for item in intervals:
            bucket = int((item.end - origin - 1e-9) // 1.0)
            length = item.end - item.start
            busy[bucket] = busy.get(bucket, 0.0) + item.cores * length
            covered[bucket] = covered.get(bucket, 0.0) + length
        return [busy[b] / covered[b] for b in sorted(busy) if covered[b] >= 0.5]

    def __enter__(self) -> Sampler:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
