"""How fast the service's CPU ran during each run: a fixed loop timed beside it.

A virtual machine's CPU can run the same instructions slower for seconds at a time
without its kernel seeing any of it: a neighbour on the host's core or cache slows the
vCPU, and no steal time, run-queue delay or throttling shows it (the contention rule of
:mod:`servesize.profiling.verdict` cannot).  On the 2-core build VM the bundled example
burnt 5.4-9.7 ms of CPU for the same request, served the same way, in 5-s windows of one
150-s run; a fixed loop pinned to the service's CPU ran 1.8x slower while the service
was slowest, and its timings correlated 0.78 with the service's CPU per request (0.47
for a loop on another CPU; bench/RESULTS-repeat.md, ``bench/service_speed.py``).

:class:`SpeedProbe` runs a small pure-Python loop (about 0.2 ms of CPU) every 100 ms
in a process of its own pinned to the first of the service's CPUs, and records the
loop's CPU time (``time.thread_time``: waiting for the CPU is not in it, so a busy
machine does not move it; only a slower CPU does).  ``slowdown(start, end)`` is the
median over a run over the fastest the probe has been in the profile (the 10th
percentile of every loop so far): 1.0 at full speed, 1.8 for the spell above.  The
probe costs the service's CPU about 0.2% of its time.  It reports; it is not in the
verdict, and slowed runs are measured again only when a profile sets ``max_slowdown``
(docs/verdict.md, "The CPU's own speed").

The probe's process reads its standard input and exits at its end, so it ends with
the profile however that ends (``kill -9`` included): the profile holds the pipe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MIN_SAMPLES",
    "NOTED_SLOWDOWN",
    "SpeedProbe",
    "SpeedSummary",
    "service_slowdown",
    "slowdown_of",
    "slowdowns_of",
    "slowed",
    "spell_sensitivity",
]

#: a slowdown worth naming where it is shown (a plan's confirmation note, the share of
#: slow loops): the probe's run medians held within 5% of its fastest at full speed,
#: and the spells that moved the example's CPU per request by a half ran it 1.7-1.8x
NOTED_SLOWDOWN = 1.25
#: a run's slowdown needs at least this many loops (half a second of probing)
MIN_SAMPLES = 5
#: the loops timed before any slowdown is said: the baseline needs a history
_HISTORY = 20
#: a sensitivity needs this many seconds of the measurement, and this many in spells
_FIT_SECONDS = 10
_FIT_SPELLS = 3
#: the sensitivity is kept within these bounds (a fit on a few noisy seconds can stray)
_SENSITIVITY_RANGE = (0.0, 2.0)

# The child: pin itself (no preexec_fn in a threaded parent), then time the loop every
# ``interval`` s and print its CPU ms; stdin's end (the parent gone) ends it at once.
_CHILD = """
import os, select, sys, time
cpu, interval, loops = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
try:
    os.sched_setaffinity(0, {cpu})
except OSError:
    pass
while True:
    started = time.thread_time()
    total = 0
    for i in range(loops):
        total += i * i % 7
    print(round((time.thread_time() - started) * 1000.0, 5), flush=True)
    if select.select([sys.stdin], [], [], interval)[0] and not os.read(0, 1):
        break
"""


@dataclass(frozen=True)
class SpeedSummary:
    """The probe over a whole profile (``machineSpeed`` in the details)."""

    cpu: int
    loops: int
    fastest_ms: float
    median_ms: float
    slowest_ms: float
    #: share of loops more than 25% slower than the fastest
    slow_share: float
    #: how much of the loop's slowdown the service's own median latency showed in the
    #: measurement (:func:`spell_sensitivity`); None without slow seconds to fit on
    sensitivity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "probeCpu": self.cpu,
            "loops": self.loops,
            "fastestLoopMs": round(self.fastest_ms, 4),
            "medianLoopMs": round(self.median_ms, 4),
            "slowestLoopMs": round(self.slowest_ms, 4),
            "slowShare": round(self.slow_share, 4),
            "sensitivity": self.sensitivity,
        }


class SpeedProbe:
    """``SpeedProbe.start(cpus)``; ``slowdown(start, end)`` (monotonic seconds);
    ``summary()``; ``stop()`` or ``finish()`` (stop, then the summary's dict)."""

    def __init__(self, proc: subprocess.Popen[str], cpu: int) -> None:
        self._proc = proc
        self.cpu = cpu
        self._lock = threading.Lock()
        self._times: list[float] = []
        self._values: list[float] = []
        self._reader = threading.Thread(target=self._read, name="servesize-speed", daemon=True)
        self._reader.start()

    @classmethod
    def start(
        cls, cpus: Sequence[int], interval: float = 0.1, loops: int = 2000
    ) -> SpeedProbe | None:
        """A probe on the first of ``cpus``; None when none could be started (the
        profile then reports no speed)."""
        if not cpus:
            return None
        cpu = int(cpus[0])
        command = [sys.executable, "-I", "-S", "-c", _CHILD, str(cpu), str(interval), str(loops)]
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        except OSError:
            return None
        return cls(proc, cpu)

    def _read(self) -> None:
        stream = self._proc.stdout
        assert stream is not None
        for line in stream:
            with contextlib.suppress(ValueError):
                value = float(line)
                with self._lock:
                    self._times.append(time.monotonic())
                    self._values.append(value)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.poll()

    @property
    def loops(self) -> int:
        """Loops timed so far."""
        with self._lock:
            return len(self._values)

    def _loops(self) -> tuple[list[float], list[float]]:
        """A copy of the loops' times and values so far (the reader appends to them)."""
        with self._lock:
            return list(self._times), list(self._values)

    def slowdown(self, start: float, end: float, fastest: float | None = None) -> float | None:
        """:func:`slowdown_of` the probe's loops so far."""
        return slowdown_of(*self._loops(), start, end, fastest=fastest)

    def slowdowns(
        self, start: float, end: float, fastest: float | None = None
    ) -> list[float] | None:
        """:func:`slowdowns_of` the probe's loops so far: the run's speed, second by
        second."""
        return slowdowns_of(*self._loops(), start, end, fastest=fastest)

    def run_metrics(self, start: float, end: float, fastest: float | None = None) -> dict[str, Any]:
        """What a run records of the CPU's speed: ``machineSlowdown`` (its median) and
        ``machineSlowdowns`` (second by second), from one copy of the loops."""
        times, values = self._loops()
        return {
            "machineSlowdown": slowdown_of(times, values, start, end, fastest=fastest),
            "machineSlowdowns": slowdowns_of(times, values, start, end, fastest=fastest),
        }

    def summary(self) -> SpeedSummary | None:
        values = self._loops()[1]
        if len(values) < _HISTORY:
            return None
        fastest = _fastest(values)
        slow = sum(1 for v in values if v > NOTED_SLOWDOWN * fastest) / len(values)
        return SpeedSummary(
            self.cpu, len(values), fastest, statistics.median(values), max(values), slow
        )

    def finish(
        self,
        series: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        measured: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Stop, and the summary as the details store it (``machineSpeed``), with the
        service's :func:`spell_sensitivity` from the measurement's seconds (``series``'
        ``windows``) and its speed second by second (``measured``: its metrics)."""
        self.stop()
        summary = self.summary()
        if summary is None:
            return None
        seconds = measured.get("machineSlowdowns") if measured else None
        windows = (series or {}).get("windows") or ()
        if isinstance(seconds, list):
            summary = dataclasses.replace(summary, sensitivity=spell_sensitivity(seconds, windows))
        return summary.to_dict()

    def stop(self) -> None:
        """End the child (closing its stdin ends its loop) and the reader. Idempotent."""
        with contextlib.suppress(OSError, ValueError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=5)
        if self._proc.stdout is not None and not self._reader.is_alive():
            self._proc.stdout.close()


def slowdown_of(
    times: Sequence[float],
    values: Sequence[float],
    start: float,
    end: float,
    fastest: float | None = None,
) -> float | None:
    """The median of the loops timed between ``start`` and ``end`` over the fastest the
    probe has been (the 10th percentile of all ``values``), or over ``fastest`` ms
    (another probe's: the profile's, for a replay's own probe); None with fewer than
    ``MIN_SAMPLES`` loops in the run or, without ``fastest``, ``_HISTORY`` in all.

    >>> slowdown_of(list(range(30)), [1.0] * 25 + [1.5] * 5, 25, 29)
    1.5
    """
    if fastest is None:
        if len(values) < _HISTORY:
            return None
        fastest = _fastest(values)
    median = _median_between(times, values, start, end)
    return round(median / fastest, 3) if median is not None and fastest > 0 else None


def slowdowns_of(
    times: Sequence[float],
    values: Sequence[float],
    start: float,
    end: float,
    step: float = 1.0,
    fastest: float | None = None,
) -> list[float] | None:
    """The run between ``start`` and ``end`` second by second (``step`` s): each
    second's median loop over the fastest (as :func:`slowdown_of`, or over ``fastest``
    ms: another probe's, the profile's); a second with fewer than three loops (the
    probe's process held off its CPU) takes the run's median.  None where
    :func:`slowdown_of` has none.

    A run's median hides the spells inside it; the seconds show them, and the service's
    :func:`spell_sensitivity` is fitted on them.  (A plan's model run through them
    predicted worse than at the median: docs/planning.md.)

    >>> slowdowns_of([0.1 * i for i in range(40)], [1.0] * 30 + [2.0] * 10, 2.0, 4.0)
    [1.0, 2.0]
    """
    if len(values) < _HISTORY:
        return None
    fastest = fastest or _fastest(values)
    whole = slowdown_of(times, values, start, end, fastest=fastest)
    if whole is None:
        return None
    bins = max(1, round((end - start) / step))
    during: list[list[float]] = [[] for _ in range(bins)]
    for t, v in zip(times, values, strict=True):
        if start <= t < end:
            during[min(bins - 1, int((t - start) / step))].append(v)
    return [round(statistics.median(b) / fastest, 3) if len(b) >= 3 else whole for b in during]


def spell_sensitivity(
    slowdowns: Sequence[float], windows: Sequence[Mapping[str, Any]]
) -> float | None:
    """How much of the probe's slowdown the service itself shows: ``b`` in
    ``p50(t) = t0 x (1 + b x (slowdown(t) - 1))``, fitted by least squares over the
    seconds of one run (its ``machineSlowdowns`` and the load's one-second
    ``windows``, both from the run's start).  The measurement runs at the bound, far
    from the quota, so its seconds' median latency is the service time and its changes
    are the CPU's speed.  The probe's loop is pure Python; a service that spends its
    time in compiled code (a forest's trees, BLAS) slows less in the same spell: the
    example's p50 followed the loop with ``b`` 0.64 (its seconds correlated 0.93).
    None with fewer than ``_FIT_SECONDS`` seconds or ``_FIT_SPELLS`` of them slower
    than ``NOTED_SLOWDOWN``: without a spell there is nothing to fit.

    >>> speeds = [1.0] * 8 + [1.8] * 4
    >>> windows = [{"latencyPercentile50InMs": 4.0 * (1 + 0.5 * (s - 1))} for s in speeds]
    >>> spell_sensitivity(speeds, windows)
    0.5
    """
    pairs = [
        (float(s), float(w["latencyPercentile50InMs"]))
        for s, w in zip(slowdowns, windows, strict=False)
        if isinstance(w.get("latencyPercentile50InMs"), int | float)
        and w["latencyPercentile50InMs"] > 0
        and s > 0
    ]
    if len(pairs) < _FIT_SECONDS or sum(s > NOTED_SLOWDOWN for s, _ in pairs) < _FIT_SPELLS:
        return None
    xs = [s - 1.0 for s, _ in pairs]
    ys = [y for _, y in pairs]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    t0 = my - slope * mx
    if t0 <= 0:
        return None
    low, high = _SENSITIVITY_RANGE
    return round(min(max(slope / t0, low), high), 3)


def service_slowdown(slowdown: float, sensitivity: float | None = None) -> float:
    """The service's own slowdown for the probe's ``slowdown`` and the service's
    :func:`spell_sensitivity` (None: as slow as the loop).

    >>> service_slowdown(1.8, 0.5)
    1.4
    """
    b = 1.0 if sensitivity is None else sensitivity
    return round(1.0 + b * (float(slowdown) - 1.0), 6)


def slowed(slowdown: object, max_slowdown: float) -> bool:
    """A run's ``machineSlowdown`` is above the profile's ``max_slowdown`` (0: never)."""
    return bool(max_slowdown) and isinstance(slowdown, int | float) and slowdown > max_slowdown


def _median_between(
    times: Sequence[float], values: Sequence[float], start: float, end: float
) -> float | None:
    """The median of the loops timed between ``start`` and ``end``; None with fewer
    than ``MIN_SAMPLES`` of them."""
    during = [v for t, v in zip(times, values, strict=True) if start <= t <= end]
    return statistics.median(during) if len(during) >= MIN_SAMPLES else None


def _fastest(values: Sequence[float]) -> float:
    """The 10th percentile: the probe at full speed, robust to a lucky loop."""
    ordered = sorted(values)
    return ordered[len(ordered) // 10]
