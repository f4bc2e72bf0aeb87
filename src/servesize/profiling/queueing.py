"""A model of the service under a CPU quota, fitted to what was measured; it predicts.

The service is a FIFO queue in front of ``workers`` workers that each serve one
request at a time (a multi-server G/G/c queue, Poisson arrivals).  A request needs
``work`` seconds of wall time at full speed, drawn from the measured service times
of one request at a time.  Of that time it burns CPU for at most ``c`` seconds, the
same cap for every request, chosen so that the mean is the measured CPU per query
(``cpu_fraction`` x the mean service time); the rest is waiting (a sleep, I/O, the
network), and the request burns its CPU evenly over its time.  Which requests are
slow because they compute and which because they wait is not measured; the cap says
that the slow ones wait.  A share of each request's time, the same for all, would
charge a request that sleeps 60 ms with CPU it never burns.  On a service whose
requests all compute (every measured service time close to the mean), the cap and an
even share agree.  The cap stays at or below the median service time: CPU per query
beyond that was burnt outside the timed request (after the response) and is added to
every request alike (:func:`cpu_shares`; docs/profiling.md, "What is predicted").
A ``cpu_fraction`` above 1 (more CPU a request than its service time: threads beside
its own, the server's or a library's, drain the quota with it) is split the same way:
the cap is the median service time and the rest is added to every request alike, so a
request burns more than one core while it runs.

On top sits CFS bandwidth control: the cgroup may use ``cores x period`` of CPU per
``period`` (100 ms); once spent, every worker stops until the next period.  That is
why a fractional allocation buys tail latency and not only throughput (a 10 ms
request under 0.1 core can wait ~90 ms).  The kernel notices a spent quota while a
request runs only at its scheduler tick (``tick``: 4 ms at 250 Hz), so a running
burst overruns the quota until then and repays the overrun from the next period; a
request that ends with the quota spent leaves the cgroup throttled, and the next one
waits for the refill.  With ``tick`` 0 the quota is enforced exactly (the stricter
prediction, for a kernel whose tick is not known).  A request that starts after the
service idled can be charged more (``cold_extra``, ``cool_seconds``: caches and the CPU
gone cold), as a profile measures before its search (profiling/sizing/coldcost.py);
plans read it, the search's model is built without it (0, every request alike).

The simulation is event-driven and deterministic (a fixed seed, the same arrivals
and service times for every allocation, so predictions are monotone in the cores).
It only *predicts*: the sizing search measures the allocations it recommends.

>>> model = ServiceModel(work=(0.01,), cpu_fraction=1.0)
>>> lat = model.latencies(cores=0.5, workers=1, rate=40.0)
>>> 10.0 < float(np.percentile(lat, 50)) * 1000 < 60.0
True
"""

from __future__ import annotations

import functools
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CFS_PERIOD",
    "Quirks",
    "ServiceModel",
    "cpu_shares",
    "histogram_samples",
    "service_time_quantiles",
]

CFS_PERIOD = 0.1  # seconds; the kernel's default cpu.cfs_period_us
_EPS = 1e-12


def histogram_samples(histogram: Sequence[tuple[float, float]], count: int = 400) -> list[float]:
    """Service times (seconds) drawn evenly from a ``(upper ms, count)`` histogram:
    the quantiles of the distribution, each bin represented by its geometric middle."""
    bins = [(float(u), float(c)) for u, c in histogram if c > 0 and u > 0]
    total = sum(c for _, c in bins)
    if not bins or total <= 0:
        return []
    out: list[float] = []
    lower = 0.0
    cumulative = 0.0
    edges = []
    for upper, weight in bins:
        middle = math.sqrt(max(lower, upper / 2) * upper) if lower > 0 else upper * 0.75
        cumulative += weight
        edges.append((cumulative / total, middle / 1000.0))
        lower = upper
    index = 0
    for i in range(count):
        q = (i + 0.5) / count
        while index < len(edges) - 1 and edges[index][0] < q:
            index += 1
        out.append(edges[index][1])
    return out


def service_time_quantiles(work: Sequence[float], count: int = 100) -> list[float]:
    """``count`` evenly spaced quantiles of ``work`` (seconds), in ms: what a stored
    profile keeps so its model can be rebuilt (:meth:`ServiceModel.from_details`)."""
    if len(work) == 0:
        return []
    qs = (np.arange(count) + 0.5) / count
    return [round(float(v) * 1000.0, 4) for v in np.quantile(np.asarray(work, float), qs)]


@dataclass(frozen=True)
class Quirks:
    """What the kernel and the CPU do beyond an exact quota and a fixed cost a request:
    the tick the quota is noticed at, and the cost of a request after an idle gap
    (:class:`ServiceModel`'s fields of the same names)."""

    tick: float = 0.0
    cold_extra: float = 0.0
    cool_seconds: float = 0.0


@dataclass(frozen=True)
class ServiceModel:
    """``work``: service times (s) of one request at a time; ``cpu_fraction``: CPU
    seconds per query over the mean service time, which :func:`cpu_shares` splits
    over the requests; ``overhead_ms``: measured minus predicted at a calibration
    point, added to every prediction (HTTP and client time the queue does not see)."""

    work: tuple[float, ...]
    cpu_fraction: float = 1.0
    overhead_ms: float = 0.0
    period: float = CFS_PERIOD
    requests: int = 2000
    seed: int = 7
    #: seconds between the kernel's checks of a running cgroup's quota (1 / CONFIG_HZ;
    #: 0: enforced exactly)
    tick: float = 0.0
    #: a request that starts after the service idled burns up to ``cold_extra`` more work
    #: (and CPU): ``1 + cold_extra x (1 - exp(-idle / cool_seconds))`` times its own, the
    #: caches and the CPU gone cold (0: every request the same, as fitted)
    cold_extra: float = 0.0
    cool_seconds: float = 0.0
    _cache: dict[tuple[float, int, float], np.ndarray] = field(
        default_factory=dict, compare=False, repr=False
    )
    #: the same service at other speeds, kept with their latency caches (a search
    #: refits to each trial's CPU per request, often the same factor)
    _speeds: dict[float, ServiceModel] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_details(cls, sizing_model: Mapping[str, Any]) -> ServiceModel:
        """The model a stored profile's sizing fitted, from its ``sizingModel`` details.

        ``serviceTimesMs`` (quantiles of ``work``) is stored since plans need it; an
        older profile has only the mean, read as exponential service times of that mean
        (the M/M/c assumption: a tail of its own rather than none).
        """
        mean_ms = float(sizing_model.get("serviceTimeMeanInMs") or 0.0)
        stored = [float(v) for v in sizing_model.get("serviceTimesMs") or () if float(v) > 0]
        if stored:
            work = tuple(v / 1000.0 for v in stored)
        elif mean_ms > 0:
            work = tuple(-math.log(1.0 - (i + 0.5) / 100) * mean_ms / 1000.0 for i in range(100))
        else:
            raise ValueError("the sizing model has no service times")
        return cls(
            work=work,
            cpu_fraction=float(sizing_model.get("cpuFraction") or 1.0),
            overhead_ms=float(sizing_model.get("overheadInMs") or 0.0),
            # older profiles have none: the quota enforced exactly, as they predicted
            tick=float(sizing_model.get("quotaTickInMs") or 0.0) / 1000.0,
            # measured since the cold-cost step: older profiles charge every request alike
            cold_extra=float(sizing_model.get("coldExtra") or 0.0),
            cool_seconds=float(sizing_model.get("coolInMs") or 0.0) / 1000.0,
        )

    def with_cpu_fraction(self, fraction: float) -> ServiceModel:
        """The same service burning ``fraction`` x its service time of CPU (a new latency
        cache)."""
        return self._like(self.work, fraction)

    def _like(self, work: tuple[float, ...], fraction: float) -> ServiceModel:
        """This model with other work and CPU fraction (and a latency cache of its own)."""
        return ServiceModel(
            work,
            fraction,
            self.overhead_ms,
            self.period,
            self.requests,
            self.seed,
            self.tick,
            self.cold_extra,
            self.cool_seconds,
        )

    @functools.cached_property
    def _shares(self) -> np.ndarray:
        """Each sample's share of a core while it runs (:func:`cpu_shares`)."""
        return cpu_shares(np.asarray(self.work, dtype=float), self.cpu_fraction)

    def at_speed(self, factor: float) -> ServiceModel:
        """The same service on a CPU ``factor`` times slower (every request's work, and
        so its CPU, scaled); ``self`` at 1."""
        if factor == 1.0:
            return self
        key = round(factor, 6)
        if key not in self._speeds:
            work = tuple(w * key for w in self.work)
            # a new model, not dataclasses.replace: that would share the latency cache
            self._speeds[key] = self._like(work, self.cpu_fraction)
        return self._speeds[key]

    @property
    def _quirks(self) -> Quirks:
        return Quirks(self.tick, self.cold_extra, self.cool_seconds)

    @property
    def cpu_per_query(self) -> float:
        return float(np.mean(self.work)) * self.cpu_fraction if self.work else 0.0

    def capacity(self, cores: float, workers: int) -> float:
        """Requests/s at 100% of the quota or of the workers, whichever binds first."""
        mean = float(np.mean(self.work)) if self.work else 0.0
        if mean <= 0:
            return math.inf
        by_cpu = cores / self.cpu_per_query if self.cpu_per_query > 0 else math.inf
        return min(by_cpu, workers / mean)

    def latencies(self, cores: float, workers: int, rate: float) -> np.ndarray:
        """Simulated latencies (seconds) of ``requests`` Poisson arrivals at ``rate``."""
        key = (round(cores, 6), workers, round(rate, 6))
        if key not in self._cache:
            arrivals, picks, work = self._poisson(rate)
            self._cache[key] = _simulate(
                arrivals, work, self._shares[picks], cores, workers, self.period, self._quirks
            )
        return self._cache[key]

    def _poisson(self, rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model's ``requests`` Poisson arrivals at ``rate`` (from its seed: the same
        for every allocation), which work samples they draw, and that work."""
        rng = np.random.default_rng(self.seed)
        arrivals = np.cumsum(rng.exponential(1.0, self.requests)) / rate
        picks = rng.integers(0, len(self.work), self.requests)
        return arrivals, picks, np.asarray(self.work, dtype=float)[picks]

    def cold_factor(self, cores: float, workers: int, rate: float) -> float:
        """The mean factor by which Poisson arrivals at ``rate`` cost more than warm
        requests (1 without a cold cost): the model burns ``cpu_per_query`` x this a
        request at that rate, what a run at that rate measured."""
        if self.cold_extra <= 0 or self.cool_seconds <= 0 or rate <= 0 or not self.work:
            return 1.0
        arrivals, picks, work = self._poisson(rate)
        factors: list[float] = []
        shares = self._shares[picks]
        _simulate(arrivals, work, shares, cores, workers, self.period, self._quirks, factors)
        # each request's CPU is its share x its work x its factor: weigh by the CPU
        burnt = work * shares
        return float(np.sum(burnt * np.asarray(factors)) / np.sum(burnt))

    def relaxation_seconds(self, cores: float, workers: int, rate: float) -> float:
        """How long the queue remembers at ``rate``: the M/M/1 relaxation time
        ``1 / (capacity x (1 - sqrt(rho))^2)`` at utilisation ``rho`` (inf at or past
        capacity, 0 without a finite capacity)."""
        capacity = self.capacity(cores, workers)
        if not math.isfinite(capacity) or capacity <= 0:
            return 0.0
        rho = rate / capacity
        if rho >= 1.0:
            return math.inf
        return 1.0 / (capacity * (1.0 - math.sqrt(max(rho, 0.0))) ** 2)

    def latencies_at(
        self, arrivals: np.ndarray, cores: float, workers: int, seed: int | None = None
    ) -> np.ndarray:
        """Simulated latencies (seconds) of requests arriving at ``arrivals`` (seconds,
        sorted): the same queue fed given arrival times (a trace's bursts) instead of
        Poisson ones, each request's work drawn at random from the measured ones."""
        times = np.asarray(arrivals, dtype=float)
        if times.size == 0:
            return np.zeros(0)
        rng = np.random.default_rng(self.seed if seed is None else seed)
        picks = rng.integers(0, len(self.work), times.size)
        work = np.asarray(self.work, dtype=float)[picks]
        return _simulate(
            times - times[0], work, self._shares[picks], cores, workers, self.period, self._quirks
        )

    def percentile_ms(self, cores: float, workers: int, rate: float, percentile: str) -> float:
        """Predicted latency percentile (ms) at ``rate``; inf past the capacity."""
        if rate >= self.capacity(cores, workers) * 0.999:
            return math.inf
        lat = self.latencies(cores, workers, rate)
        return float(np.percentile(lat, float(percentile))) * 1000.0 + self.overhead_ms

    def max_rate(
        self, cores: float, workers: int, percentile: str, limit_ms: float, steps: int = 9
    ) -> float:
        """The highest rate whose predicted percentile stays within ``limit_ms`` (0 if none)."""
        high = self.capacity(cores, workers)
        if not math.isfinite(high) or high <= 0:
            return 0.0
        low = 0.0
        if self.percentile_ms(cores, workers, high * 0.02, percentile) > limit_ms:
            return 0.0
        low = high * 0.02
        for _ in range(steps):
            middle = (low + high) / 2
            if self.percentile_ms(cores, workers, middle, percentile) <= limit_ms:
                low = middle
            else:
                high = middle
        return low


def cpu_shares(work: np.ndarray, fraction: float) -> np.ndarray:
    """The share of a core each request burns while it runs, so that the mean CPU per
    request is ``fraction`` x the mean work (see the module doc).

    A request burns ``min(work, c)`` with one cap ``c`` for all: the slow requests
    wait.  The cap is never above the median service time: CPU per query beyond what
    the typical request's own time holds was burnt outside the timed request (after
    the response), and is added to every request alike rather than charged to the
    slowest, which, measured one at a time, are the ones that wait.  So with a fraction
    of 1 or more, requests that all compute burn ``fraction`` of a core each, while a
    request that waits is not charged a core for its wait.

    >>> cpu_shares(np.array([0.001, 0.001, 0.001, 0.061]), 0.05).round(3).tolist()
    [0.8, 0.8, 0.8, 0.013]
    >>> cpu_shares(np.array([0.001, 0.001, 0.001, 0.061]), 0.1).round(3).tolist()
    [1.6, 1.6, 1.6, 0.026]
    >>> cpu_shares(np.array([0.005, 0.005, 0.005, 0.005]), 1.3).round(3).tolist()
    [1.3, 1.3, 1.3, 1.3]
    """
    if work.size == 0:
        return np.ones(0)
    target = max(fraction, 0.0) * float(np.mean(work))
    ordered = np.sort(work)
    n = ordered.size
    # with the cap between ordered[k-1] and ordered[k], the mean CPU is
    # (sum of the k smallest + c x (n - k)) / n
    below = np.concatenate(([0.0], np.cumsum(ordered)))
    cap = float(ordered[-1])
    for k in range(n):
        c = (target * n - below[k]) / (n - k)
        if c <= ordered[k]:
            cap = c
            break
    extra = 0.0
    median = float(np.median(work))
    if cap >= median:
        cap = median
        extra = target - float(np.mean(np.minimum(work, median)))
    shares: np.ndarray = (np.minimum(work, cap) + extra) / np.maximum(work, _EPS)
    return shares


def _simulate(
    arrivals: np.ndarray,
    work: np.ndarray,
    shares: np.ndarray,
    cores: float,
    workers: int,
    period: float,
    quirks: Quirks = Quirks(),
    factors: list[float] | None = None,
) -> np.ndarray:
    """Event-driven: between two events the set of running requests is fixed; a running
    request burns ``shares`` of a core (its own share).

    The budget is what is left of the period's quota; with a ``tick`` it can go below 0
    (the overrun until the kernel's next tick), and the next period's refill repays it
    (CFS hands a throttled cgroup the runtime it owes before it runs again).  Idle
    periods refill it to the quota and no more (no burst allowance).  With ``quirks``,
    a request that starts with nothing running has its work (and so its CPU)
    multiplied by the cold cost of the idle gap before it, which is appended to
    ``factors`` (when given) for each request as it starts."""
    tick = quirks.tick
    cold = quirks.cold_extra if quirks.cool_seconds > 0 else 0.0
    idle_since = -math.inf  # the first request finds the service cold
    n = len(arrivals)
    latency = np.zeros(n)
    queue: deque[int] = deque()
    running: list[list[float]] = []  # [remaining work, request index, CPU share]
    quota = cores * period
    budget = quota
    next_period = period
    now = 0.0
    i = 0
    arrival_list = arrivals.tolist()
    work_list = work.tolist()
    share_list = shares.tolist()

    def refill(now: float, next_period: float, budget: float) -> tuple[float, float]:
        """The period boundary after ``now`` and the budget at ``now``: the first period
        that passed repays a debt, any later one starts at the quota."""
        passed = max(1, math.floor((now - next_period) / period) + 1)
        budget = min(quota, quota + budget) if passed == 1 else quota
        return next_period + passed * period, budget

    while i < n or queue or running:
        while queue and len(running) < workers:
            j = queue.popleft()
            m = 1.0
            if cold and not running:
                m += cold * -math.expm1(-(now - idle_since) / quirks.cool_seconds)
            if factors is not None:
                factors.append(m)
            running.append([work_list[j] * m, float(j), share_list[j]])
        t_arrival = arrival_list[i] if i < n else math.inf
        if not running:  # idle: jump to the next arrival; the quota refills meanwhile
            now = max(now, t_arrival)
            if now >= next_period:
                next_period, budget = refill(now, next_period, budget)
            queue.append(i)
            i += 1
            continue
        use = sum(r[2] for r in running)
        limit = math.inf
        if use > 0 and budget <= _EPS:
            # the quota is spent: throttled at once when enforced exactly or at a tick;
            # else the requests run on until the kernel's next tick notices
            next_tick = math.ceil(now / tick - 1e-9) * tick if tick > 0 else now
            if next_tick - now <= 1e-9:
                now = next_period
                next_period, budget = refill(now, next_period, budget)
                while i < n and arrival_list[i] <= now:
                    queue.append(i)
                    i += 1
                continue
            limit = next_tick - now
        step = min(r[0] for r in running)
        if use > 0 and budget > _EPS:
            step = min(step, budget / use)
        step = min(step, limit, next_period - now, t_arrival - now)
        step = max(step, 0.0)
        for r in running:
            r[0] -= step
        budget -= use * step
        now += step
        if now >= next_period - _EPS:
            next_period, budget = refill(now, next_period, budget)
        still = []
        for r in running:
            if r[0] <= _EPS:
                j = int(r[1])
                latency[j] = now - arrival_list[j]
            else:
                still.append(r)
        running = still
        if not running:
            idle_since = now
        while i < n and arrival_list[i] <= now + _EPS:
            queue.append(i)
            i += 1
        blocked = not running and not queue and budget <= _EPS
        if blocked and i < n and arrival_list[i] < next_period:
            # the workers blocked with the quota spent: the kernel throttled the cgroup
            # then, and what arrives before the refill waits for it (a worker that goes
            # straight on to a queued request is noticed at the tick, as above)
            now = next_period
            next_period, budget = refill(now, next_period, budget)
            while i < n and arrival_list[i] <= now:
                queue.append(i)
                i += 1
    return latency
