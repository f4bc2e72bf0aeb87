"""One replica as the profile sized it, and its latency against its arrival rate.

The profile's queueing model (``servesize.profiling.queueing.ServiceModel``: a FIFO
queue before the workers, under the CFS quota of the recommended cores, fitted to the
measured service times) predicts the latencies of Poisson arrivals at a rate.  A plan
asks that question for every second of a trace and every candidate setting, so the
model is run once per rate on a grid (:class:`LatencyTable`) and everything else reads
the table: the share of requests within the objective's limit is interpolated between
grid rates, and a percentile over many seconds is read from the mixture of their
distributions (each second weighted by its requests).

The model is calibrated against the profile's own runs at the recommended allocation
(:func:`tail_factor`): where they measured the objective's percentile above what the
model predicts for their rates, every latency of the table is scaled up by the
requests-weighted geometric mean of measured / predicted; the model is never made more
optimistic than its fit.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from servesize.errors import InvalidInputError
from servesize.planning.rates import FloatArray
from servesize.profiling.objective import Objective, parse_slo
from servesize.profiling.queueing import ServiceModel
from servesize.profiling.speed import service_slowdown, slowed
from servesize.workspace import Figures

__all__ = ["GRID_POINTS", "LatencyTable", "Replica", "cpu_at", "speed_at", "tail_factor"]

#: rates on the grid, denser towards the capacity where latency bends up
GRID_POINTS = 40
#: the grid stops short of the capacity: past it the queue grows without bound
_TOP = 0.97
#: latency thresholds (ms) the distributions are kept at, log-spaced
_THRESHOLDS = 320


@dataclass(frozen=True)
class Replica:
    """The sized replica: limits (request = limit, as the profile measured it), CPU per
    query, cold start, the objective, and the fitted model."""

    cores: float
    memory_gb: float | None
    workers: int
    threads: int | None
    cpu_per_query: float
    cold_start_seconds: float
    objective: Objective
    model: ServiceModel
    #: measured / predicted at the objective's percentile in the profile's own runs at
    #: this allocation (at least 1: :func:`tail_factor`)
    tail: float = 1.0
    #: the runs ``tail`` was taken from
    tail_runs: int = 0
    #: the highest rate (requests/s) a run of the profile measured meeting the objective
    #: at these limits (0: none): beyond it the plan's latencies are the model's alone
    measured_rate: float = 0.0
    #: how much slower than at the profile's fastest the service ran in those runs (the
    #: median of their ``machineSlowdown``, through ``sensitivity``): the speed the
    #: model was put at (:func:`speed_at`)
    speed: float = 1.0
    #: how much of the probe's slowdown the service itself shows (the profile's
    #: ``machineSpeed.sensitivity``; None where it could fit none: as slow as the loop)
    sensitivity: float | None = None
    #: with a cold cost, the CPU a request at a per-replica rate against
    #: ``cpu_per_query`` (the runs' figure, at their rate): rates and factors to
    #: interpolate (empty: the same at every rate)
    cpu_rates: tuple[float, ...] = ()
    cpu_factors: tuple[float, ...] = ()

    @classmethod
    def from_figures(cls, figures: Figures, name: str = "the profile") -> Replica:
        """The replica a stored profile recommends; ``InvalidInputError`` naming what is
        missing when the profile was not sized for a latency objective."""
        f = figures
        cpu, label, fitted = f.recommended_cpu, f.latency_objective, f.sizing_model
        missing = [
            key
            for key, value in (
                ("recommendedCpu", cpu),
                ("latencyObjective", label),
                ("sizingModel", fitted),
            )
            if not value
        ]
        if missing or not (cpu and label and fitted):
            raise InvalidInputError(
                f"{name} has no sizing to plan from (missing {', '.join(missing)}): plan a "
                "profile that succeeded with sizing on (the default)"
            )
        try:
            model = ServiceModel.from_details(fitted)
        except ValueError as exc:
            raise InvalidInputError(f"{name}: {exc}") from None
        objective = parse_slo(label)
        workers = int(f.recommended_workers or 1)
        # the profile's own limit on a slowed CPU (its setting; 0: every run counts)
        slowed = float((f.settings or {}).get("max_slowdown") or 0.0)
        rows = f.sizing or []
        fitted = (f.machine_speed or {}).get("sensitivity")
        b = float(fitted) if isinstance(fitted, int | float) else None
        # calibrated at the CPU's full speed (each run's CPU and latency taken back by
        # the slowdown it ran at), then put at the speed those runs typically had
        at_limits = cpu_at(rows, float(cpu), workers, slowed, b)
        speed = speed_at(rows, float(cpu), workers, slowed, b)
        rates: tuple[float, ...] = ()
        factors: tuple[float, ...] = ()
        if at_limits is not None and model.work:
            # the quota drains at what a request burnt at these limits, which may be
            # more than its service time one at a time (cpuFraction above 1)
            mean = sum(model.work) / len(model.work)
            model = model.with_cpu_fraction(at_limits / mean)
            # with a cold cost measured, the runs' figure is a mix of warm requests and
            # dearer ones after idle gaps: the warm cost is what leaves the model burning
            # at the runs' rate what they burnt (twice: the mix moves with the quota's
            # throttling, which moves with the cost)
            rate = _calibration_rate(rows, float(cpu), workers, slowed)
            for _ in range(2 if model.cold_extra > 0 and rate else 0):
                factor = model.cold_factor(float(cpu), workers, rate)
                model = model.with_cpu_fraction(at_limits / (mean * factor))
            if model.cold_extra > 0 and rate:
                # the HPA reads what a replica burns: warmer, so less a request, at
                # higher rates than the runs', dearer at lower ones
                rates, factors = _cpu_by_rate(model, float(cpu), workers, rate)
        tail, runs = tail_factor(rows, model, float(cpu), workers, objective, slowed, b)
        model = model.at_speed(speed)
        cpq = at_limits * speed if at_limits else float(f.cpu_seconds_per_query or 0.0)
        cpq = cpq or model.cpu_per_query
        return cls(
            cores=float(cpu),
            memory_gb=f.recommended_memory_in_gb,
            workers=workers,
            threads=f.recommended_threads,
            cpu_per_query=cpq,
            cold_start_seconds=_cold_start(f),
            objective=objective,
            model=model,
            tail=tail,
            tail_runs=runs,
            measured_rate=measured_rate(rows, float(cpu), workers, slowed),
            speed=speed,
            sensitivity=b,
            cpu_rates=rates,
            cpu_factors=factors,
        )

    @property
    def capacity(self) -> float:
        """Requests/s at 100% of the quota or of the workers, whichever binds first."""
        return self.model.capacity(self.cores, self.workers)

    def cpu_utilization(self, rate: FloatArray) -> FloatArray:
        """CPU used over the request (= limit) at a per-replica rate, at most 1."""
        rate = np.asarray(rate, dtype=np.float64)
        used = rate * self.cpu_per_query / self.cores
        if self.cpu_rates:
            used = used * np.interp(rate, self.cpu_rates, self.cpu_factors)
        return np.minimum(used, 1.0)

    def utilization_at(self, rate: float) -> float:
        """:meth:`cpu_utilization` of one rate, in plain Python: the fleet's
        second-by-second loop calls it for every second of the trace, where numpy's
        per-call cost was a fifth of a day-long plan's time."""
        used = rate * self.cpu_per_query / self.cores
        rates = self.cpu_rates
        if rates:
            factors = self.cpu_factors
            k = bisect.bisect_right(rates, rate)
            if k == 0:
                used *= factors[0]
            elif k == len(rates):
                used *= factors[-1]
            else:  # np.interp's straight line between the two grid rates around it
                low, high = rates[k - 1], rates[k]
                share = (rate - low) / (high - low) if high > low else 0.0
                used *= factors[k - 1] + (factors[k] - factors[k - 1]) * share
        return min(used, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu": self.cores,
            "memoryInGB": self.memory_gb,
            "workers": self.workers,
            "threads": self.threads,
            "cpuSecondsPerQuery": round(self.cpu_per_query, 6),
            "coldStartSeconds": round(self.cold_start_seconds, 3),
            "capacityQueriesPerSecond": round(self.capacity, 3),
            "tailFactor": round(self.tail, 4),
            "tailRuns": self.tail_runs,
            "measuredQueriesPerSecondWithinObjective": round(self.measured_rate, 3),
            "machineSlowdown": round(self.speed, 3),
            "spellSensitivity": self.sensitivity,
        }


class LatencyTable:
    """Predicted latency distributions of one replica at rates on a grid (built once).

    ``cdf[k, j]`` is the share of requests at grid rate ``rates[k]`` answered within
    ``thresholds[j]`` ms (the model's latencies plus its overhead). Rates above
    ``limit`` (the most a replica is planned to carry: ``beyond_measured``) are treated
    as past the model's range: none of their requests within any threshold.
    """

    def __init__(
        self, replica: Replica, points: int = GRID_POINTS, *, limit: float = math.inf
    ) -> None:
        self.replica = replica
        self.limit = limit
        self.limit_ms = replica.objective.limit_ms
        self.percentile = float(replica.objective.percentile)
        capacity = replica.capacity
        if not math.isfinite(capacity) or capacity <= 0:
            raise InvalidInputError("the profile's model has no finite capacity to plan with")
        x = np.linspace(0.0, 1.0, points)
        # the first point is a trickle (a rate of 0 has no arrivals to simulate)
        rates = capacity * _TOP * (1.0 - (1.0 - x) ** 2)
        rates[0] = capacity * 0.002
        self.rates: FloatArray = rates
        self.capacity = capacity
        model, r = replica.model, replica
        samples = [
            (np.sort(model.latencies(r.cores, r.workers, float(rate))) * 1000.0 + model.overhead_ms)
            * r.tail
            for rate in rates
        ]
        low = max(min(float(s[0]) for s in samples), 1e-3)
        high = max(float(s[-1]) for s in samples) * 1.01
        grid = np.geomspace(low, max(high, low * 1.01), _THRESHOLDS)
        self.thresholds: FloatArray = np.unique(np.append(grid, self.limit_ms))
        self.cdf: FloatArray = np.vstack(
            [np.searchsorted(s, self.thresholds, side="right") / s.size for s in samples]
        )
        self._within = np.array(
            [np.searchsorted(s, self.limit_ms, side="right") / s.size for s in samples]
        )

    def _position(self, rate: FloatArray) -> tuple[np.ndarray, FloatArray, np.ndarray]:
        """Grid index below each rate, the fraction towards the next, and which rates
        are past the grid (saturated: treated as a queue that does not drain) or past
        ``limit`` (not planned: treated alike)."""
        rate = np.asarray(rate, dtype=np.float64)
        over = rate > min(self.rates[-1], self.limit)
        clipped = np.clip(rate, self.rates[0], self.rates[-1])
        index = np.clip(
            np.searchsorted(self.rates, clipped, side="right") - 1, 0, self.rates.size - 2
        )
        low, high = self.rates[index], self.rates[index + 1]
        fraction = (clipped - low) / (high - low)
        return index, fraction, over

    def within(self, rate: FloatArray) -> FloatArray:
        """Share of requests within the objective's limit at each per-replica rate."""
        index, fraction, over = self._position(rate)
        share = self._within[index] * (1 - fraction) + self._within[index + 1] * fraction
        out: FloatArray = np.where(over, 0.0, share)
        return out

    def distribution(self, rate: FloatArray) -> FloatArray:
        """CDF rows (one per rate) over :attr:`thresholds`."""
        index, fraction, over = self._position(rate)
        rows: FloatArray = (
            self.cdf[index] * (1 - fraction)[:, None] + self.cdf[index + 1] * fraction[:, None]
        )
        rows[over] = 0.0
        return rows

    def mixture_percentile(
        self, rate: FloatArray, weight: FloatArray, percentile: float | None = None
    ) -> float:
        """The percentile (ms) of all requests of seconds at ``rate`` per replica, each
        weighted by ``weight`` requests; inf when it lies beyond every threshold."""
        weight = np.asarray(weight, dtype=np.float64)
        total = float(weight.sum())
        if total <= 0:
            return math.nan
        cdf = weight @ self.distribution(rate) / total
        return percentile_of(cdf, self.thresholds, percentile or self.percentile)

    @property
    def top_rate(self) -> float:
        """The most a replica carries in the plan: its capacity, or ``limit`` below it."""
        return min(self.capacity, self.limit)

    def rate_within(self, share: float, *, limited: bool = True) -> float:
        """The highest per-replica rate whose share within the limit is at least
        ``share`` (0 when even a trickle misses it), at most ``limit`` unless not
        ``limited`` (the model's own)."""
        ok = np.nonzero(self._within >= share)[0]
        if ok.size == 0:
            return 0.0
        top = int(ok.max())
        if top == self.rates.size - 1 or ok.size != top + 1:
            rate = float(self.rates[top])
        else:  # interpolate to the crossing between grid rates top and top + 1
            a, b = self._within[top], self._within[top + 1]
            fraction = (a - share) / (a - b) if a != b else 0.0
            rate = float(self.rates[top] + fraction * (self.rates[top + 1] - self.rates[top]))
        return min(rate, self.limit) if limited else rate


#: runs with fewer requests say too little about a tail to calibrate it
_MIN_RUN = 100


def tail_factor(
    rows: Sequence[Mapping[str, Any]],
    model: ServiceModel,
    cores: float,
    workers: int,
    objective: Objective,
    max_slowdown: float = 0.0,
    sensitivity: float | None = None,
) -> tuple[float, int]:
    """How much slower than the model the profile's own runs at ``cores`` and
    ``workers`` measured the objective's percentile, and from how many runs.

    Each measured run that can be trusted (not untrusted, kept up) with at least
    ``_MIN_RUN`` requests gives measured / predicted at its rate; the factor is their
    geometric mean weighted by requests (a ratio, so a run twice as slow and one half
    as slow cancel out), at least 1. The model fits the service times; what it misses
    (the quota's 100 ms periods stalling a request mid-service, the HTTP stack under
    load) shows most in the far tail, and most under small quotas (bench/RESULTS-plan.md).
    """
    logs: list[float] = []
    weights: list[float] = []
    for row in _runs_at(rows, cores, workers, max_slowdown):
        measured, rate = row.get("objectiveLatencyInMs"), row.get("measuredQueriesPerSecond")
        n = int(row.get("n") or 0)
        if not isinstance(measured, int | float) or not isinstance(rate, int | float):
            continue
        if n < _MIN_RUN or measured <= 0 or rate <= 0:
            continue
        at = model.at_speed(_speed_of(row, sensitivity))
        predicted = at.percentile_ms(cores, workers, float(rate), objective.percentile)
        if not math.isfinite(predicted) or predicted <= 0:
            continue
        logs.append(math.log(float(measured) / predicted))
        weights.append(float(n))
    if not logs:
        return 1.0, 0
    mean = sum(w * x for w, x in zip(weights, logs, strict=True)) / sum(weights)
    return max(1.0, math.exp(mean)), len(logs)


def _cold_start(f: Figures) -> float:
    """A new replica's start: the confirmation's, under the planned limits, where the
    profile has one (a Python service importing its libraries under 0.3 cores took
    3.0 s against 0.9 s under the 1-core bound); else the profile's, under the bound."""
    confirmed = f.confirmation.cold_start_seconds if f.confirmation is not None else None
    return float(confirmed or f.cold_start_seconds or 0.0)


def cpu_at(
    rows: Sequence[Mapping[str, Any]],
    cores: float,
    workers: int,
    max_slowdown: float = 0.0,
    sensitivity: float | None = None,
) -> float | None:
    """CPU seconds a request burnt in the profile's own runs at ``cores`` and
    ``workers`` (those that could be trusted and kept up), weighted by their requests;
    None without one.  A small quota costs more CPU a request than the bound the
    profile's figure was measured at (the example: 7.3-9.3 ms in one profile's runs at
    0.4 cores, 6.9 ms at one core; bench/RESULTS-repeat.md), and an HPA reads the
    utilisation at the limits."""
    used = served = 0.0
    for row in _runs_at(rows, cores, workers, max_slowdown):
        values = [
            row.get(k) for k in ("utilizedCpu", "measuredQueriesPerSecond", "durationSeconds")
        ]
        if all(isinstance(v, int | float) and v > 0 for v in values):
            cpu, rate, seconds = (float(v) for v in values)  # type: ignore[arg-type]
            used += cpu * seconds / _speed_of(row, sensitivity)
            served += rate * seconds
    return used / served if served > 0 else None


#: per-replica rates the CPU a request is simulated at, as shares of the capacity
_CPU_GRID = (0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97)


def _cpu_by_rate(
    model: ServiceModel, cores: float, workers: int, rate: float
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Rates on a grid and the model's CPU a request at each against at ``rate``."""
    capacity = model.capacity(cores, workers)
    if not math.isfinite(capacity) or capacity <= 0:
        return (), ()
    at = model.cold_factor(cores, workers, rate)
    rates = tuple(round(capacity * share, 6) for share in _CPU_GRID)
    factors = tuple(round(model.cold_factor(cores, workers, r) / at, 6) for r in rates)
    return rates, factors


def _calibration_rate(
    rows: Sequence[Mapping[str, Any]], cores: float, workers: int, max_slowdown: float = 0.0
) -> float:
    """The requests-weighted mean rate of the runs :func:`cpu_at` reads (0 without)."""
    total = weight = 0.0
    for row in _runs_at(rows, cores, workers, max_slowdown):
        rate, seconds = row.get("measuredQueriesPerSecond"), row.get("durationSeconds")
        if isinstance(rate, int | float) and isinstance(seconds, int | float) and rate > 0:
            total += float(rate) * float(rate) * float(seconds)
            weight += float(rate) * float(seconds)
    return total / weight if weight > 0 else 0.0


def measured_rate(
    rows: Sequence[Mapping[str, Any]], cores: float, workers: int, max_slowdown: float = 0.0
) -> float:
    """The highest rate of the runs :func:`cpu_at` reads that met the objective (their
    decision; a profile from before it: ``sloMet``), 0 without one."""
    rates = [
        float(row["measuredQueriesPerSecond"])
        for row in _runs_at(rows, cores, workers, max_slowdown)
        if isinstance(row.get("measuredQueriesPerSecond"), int | float)
        and (row.get("outcome") == "met" or (row.get("outcome") is None and row.get("sloMet")))
    ]
    return max(rates, default=0.0)


def _runs_at(
    rows: Sequence[Mapping[str, Any]], cores: float, workers: int, max_slowdown: float = 0.0
) -> Iterator[Mapping[str, Any]]:
    """The profile's measured runs at ``cores`` and ``workers`` that could be trusted
    and kept up; with a ``max_slowdown`` (the profile's setting, off by default), of
    those the ones made while the service's CPU ran at speed, when there are any: the
    profile then sized for the host at its best, and so does the plan."""
    found = [
        row
        for row in rows
        if row.get("source") == "measured"
        and not row.get("untrusted")
        and not row.get("fellBehind")
        and _same(row.get("cpu"), cores)
        and int(row.get("workers") or 1) == workers
    ]
    at_speed = [row for row in found if not slowed(row.get("machineSlowdown"), max_slowdown)]
    yield from at_speed or found


def speed_at(
    rows: Sequence[Mapping[str, Any]],
    cores: float,
    workers: int,
    max_slowdown: float = 0.0,
    sensitivity: float | None = None,
) -> float:
    """The median slowdown of the service in the runs the replica is calibrated on
    (their ``machineSlowdown`` through ``sensitivity``; 1.0 where none recorded one):
    the speed the plan assumes, as those runs had it."""
    speeds = [_speed_of(r, sensitivity) for r in _runs_at(rows, cores, workers, max_slowdown)]
    return float(statistics.median(speeds)) if speeds else 1.0


def _speed_of(row: Mapping[str, Any], sensitivity: float | None = None) -> float:
    """How much slower than at the profile's fastest the service ran during ``row``:
    the probe's ``machineSlowdown`` through the service's ``sensitivity`` (1.0 when not
    recorded: a profile from before the probe)."""
    value = row.get("machineSlowdown")
    if not isinstance(value, int | float) or value <= 0:
        return 1.0
    return service_slowdown(float(value), sensitivity)


def _same(a: object, b: float) -> bool:
    return isinstance(a, int | float) and abs(float(a) - b) < 1e-6


def percentile_of(cdf: FloatArray, thresholds: FloatArray, percentile: float) -> float:
    """The ``percentile`` of a distribution given by its CDF at ``thresholds``."""
    target = percentile / 100.0
    if cdf.size == 0 or float(cdf[-1]) < target - 1e-12:
        return math.inf
    j = int(np.searchsorted(cdf, target - 1e-12, side="left"))
    if j == 0:
        return float(thresholds[0])
    c0, c1 = float(cdf[j - 1]), float(cdf[j])
    fraction = (target - c0) / (c1 - c0) if c1 > c0 else 1.0
    return float(thresholds[j - 1] + fraction * (thresholds[j] - thresholds[j - 1]))
