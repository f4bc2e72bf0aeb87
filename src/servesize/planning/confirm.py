"""The plan confirmed on real replicas over the trace's hardest window.

The window (``confirm_seconds``, 60 s by default) is the one the simulation says
carries the most requests per ready replica.  As many replicas as the machine's
service CPUs hold (at least one, at most the fewest the simulation had ready in that
window) are launched under exactly the planned limits
(:func:`servesize.profiling.replicas.launch_replicas`).  The window's own arrivals are
thinned to the share those replicas would see in the simulated fleet (each kept with
probability ``replicas here / replicas simulated`` of its second) and dealt to the
replicas at random, as a load balancer's random split would; each replica gets its
requests at their send times (open loop, latency from the due time).  The prediction
is the model's percentile over exactly the requests replayed, each replica's queue fed
its own send times (:mod:`servesize.planning.replay`); the fleet simulation's percentile
over the window (Poisson arrivals at smoothed rates) is kept beside it.

Whether the replicas met the objective is the profile's one decision
(:func:`servesize.profiling.sizing.decision.decide`): the requests over the limit of
all replicas together, judged at the profile's confidence and indifference zone, met,
missed or undecided; never the percentile of a few hundred requests alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from servesize.errors import ServesizeError
from servesize.load import LoadResult, LoadSpec, run_load_async
from servesize.planning.plan import Plan
from servesize.planning.replay import replica_latencies_ms
from servesize.planning.replica import Replica
from servesize.profiling.replicas import Replicas, launch_replicas, replicas_that_fit
from servesize.profiling.sizing.decision import Decision, Design, decide
from servesize.profiling.sizing.phase import window_counts
from servesize.profiling.speed import NOTED_SLOWDOWN, service_slowdown
from servesize.workspace import PlanConfirmation, Store

__all__ = [
    "confirm_plan",
    "merged_percentile",
    "order_statistic_ranks",
    "percentile_interval",
    "split_window",
]

#: measured within this share of the prediction counts as the model holding
AGREEMENT = 0.25
#: the note counts the replay's seconds more than NOTED_SLOWDOWN slower when this many
#: are (while their median is at speed): one slow second in a minute is the host's usual
NOTED_SLOW_SECONDS = 3
#: the note names the replicas' CPU a request when it differs from the plan's by more
#: than this share (the example's runs at one allocation vary about 10% between them)
NOTED_CPU = 0.15


def split_window(
    arrivals: npt.ArrayLike,
    start: float,
    seconds: float,
    simulated: npt.ArrayLike,
    replicas: int,
    seed: int,
) -> list[np.ndarray]:
    """Each replica's send offsets (s from the window's start): the window's arrivals,
    each kept with probability ``replicas / simulated[its second]`` and dealt to a
    replica at random."""
    times = np.asarray(arrivals, dtype=np.float64)
    times = times[(times >= start) & (times < start + seconds)] - start
    ready = np.maximum(np.asarray(simulated, dtype=np.float64), 1.0)
    second = np.minimum(times.astype(np.int64), ready.size - 1)
    keep = np.minimum(1.0, replicas / ready[second])
    rng = np.random.default_rng(seed)
    kept = times[rng.random(times.size) < keep]
    owner = rng.integers(0, replicas, kept.size)
    return [kept[owner == i] for i in range(replicas)]


def merged_percentile(results: Sequence[LoadResult], percentile: float) -> float | None:
    """The percentile (ms) of every replica's requests together: from the exact figure
    for one replica, else from the summed log-spaced histograms, interpolated in log
    space within the bucket (20 buckets a decade: within about 6%)."""
    if len(results) == 1:
        key = {50.0: "50", 90.0: "90", 95.0: "95", 99.0: "99", 99.9: "999"}.get(percentile)
        value = results[0].metrics.get(f"latencyPercentile{key}InMs") if key else None
        if isinstance(value, int | float):
            return float(value)
    counts = _merged_counts(results)
    total = sum(counts.values())
    return _value_at_rank(counts, total * percentile / 100.0) if total else None


def percentile_interval(
    results: Sequence[LoadResult], percentile: float, confidence: float
) -> tuple[float, float] | None:
    """A distribution-free interval (ms) that holds the replicas' true ``percentile``
    with probability ``confidence``: the order statistics whose ranks a binomial count
    of requests below the percentile spans (:func:`order_statistic_ranks`), read from
    the merged histograms. None when there are too few requests for one."""
    counts = _merged_counts(results)
    total = sum(counts.values())
    ranks = order_statistic_ranks(total, percentile / 100.0, confidence)
    if ranks is None:
        return None
    low, high = ranks
    return _value_at_rank(counts, low), _value_at_rank(counts, high)


def order_statistic_ranks(n: int, share: float, confidence: float) -> tuple[int, int] | None:
    """Ranks ``(l, u)`` (1-based, ascending) such that the ``share`` quantile lies between
    the l-th and u-th smallest of ``n`` independent requests with probability at least
    ``confidence``: the count of requests below the quantile is Binomial(n, share), and
    each tail beyond the ranks holds at most (1 - confidence) / 2. None when even the
    smallest and largest request do not bound it so (e.g. a p99 of fewer than ~300).
    """
    if n <= 0 or not 0.0 < share < 1.0:
        return None
    tail = (1.0 - confidence) / 2.0
    # the pmf over the counts that matter (within 12 standard deviations), in log space
    mean, sd = n * share, math.sqrt(n * share * (1.0 - share))
    first, last = max(0, int(mean - 12 * sd) - 5), min(n, int(mean + 12 * sd) + 5)
    k = np.arange(first, last + 1, dtype=np.float64)
    lgamma = np.vectorize(math.lgamma)
    log_pmf = (
        math.lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
        + k * math.log(share) + (n - k) * math.log1p(-share)
    )  # fmt: skip
    pmf = np.exp(log_pmf)
    below = np.cumsum(pmf)  # P(B <= first + i)
    # l: the largest rank with P(B < l) <= tail; u: the smallest with P(B >= u) <= tail
    fits_low = np.nonzero(below <= tail)[0]
    fits_high = np.nonzero(1.0 - below <= tail)[0]
    if fits_low.size == 0 or fits_high.size == 0:
        return None
    low = int(first + fits_low[-1]) + 1
    high = int(first + fits_high[0]) + 1
    if low < 1 or high > n:
        return None
    return low, high


def _merged_counts(results: Sequence[LoadResult]) -> dict[float, int]:
    counts: dict[float, int] = {}
    for result in results:
        for upper, count in result.latency_histogram:
            counts[upper] = counts.get(upper, 0) + count
    return counts


def _value_at_rank(counts: dict[float, int], rank: float) -> float:
    """The latency (ms) of the request of ``rank`` (1-based) in the log-spaced histogram,
    interpolated in log space within its bucket."""
    seen, lower = 0, 0.0
    for upper in sorted(counts):
        count = counts[upper]
        if count and seen + count >= rank:
            fraction = (rank - seen) / count
            low = lower if lower > 0 else upper / 10 ** (1 / 20)
            return float(low * (upper / low) ** fraction)
        seen += count
        lower = upper
    return float(max(counts))


def _late_share(results: Sequence[LoadResult]) -> float | None:
    weights = [
        (r.metrics.get("lateSendShare"), r.metrics.get("totalQueries") or 0) for r in results
    ]
    total = sum(n for _, n in weights)
    if not total:
        return None
    return sum(float(share or 0.0) * n for share, n in weights) / total


async def _replay(
    urls: Sequence[str],
    bodies: Sequence[bytes],
    schedules: Sequence[np.ndarray],
    timeout: float,
    limit_ms: float,
) -> list[LoadResult]:
    # each schedule from its own process, as the profiler's open loops: the samplers'
    # threads here must not hold a sender's GIL when a request is due
    specs = [
        LoadSpec(
            url,
            bodies,
            schedule=tuple(float(t) for t in offsets),
            timeout=timeout,
            isolated=True,
            threshold_ms=limit_ms,
        )
        for url, offsets in zip(urls, schedules, strict=True)
    ]
    return list(await asyncio.gather(*(run_load_async(spec) for spec in specs)))


def judge_replicas(results: Sequence[LoadResult], design: Design) -> Decision:
    """The decision over every replica's requests: over the limit of all answered,
    with the 1 s windows of every replica (each its own cluster of exceedances)."""
    over = sum(int(r.metrics.get("queriesOverThreshold") or 0) for r in results)
    n = sum(int(r.metrics.get("totalQueries") or 0) for r in results)
    windows = [w for r in results for w in window_counts(r.windows)]
    return decide(over, n, design, windows)


def confirm_plan(
    store: Store, name: str, plan: Plan, arrivals: npt.ArrayLike, design: Design
) -> PlanConfirmation:
    """Replay the plan's hardest window on real replicas; the confirmation figure (with
    ``error`` set, not raised, when the replicas could not run)."""
    sim = plan.simulation
    s = sim.settings
    replica = plan.table.replica
    window = sim.confirmation_window()
    start, seconds = window.start, window.stop - window.start
    predicted = sim.percentile_ms(window)
    busy = sim.ready[window][sim.counts[window] > 0]
    fewest = int(busy.min()) if busy.size else 1
    count = max(1, min(replicas_that_fit(replica.cores), fewest))
    info = PlanConfirmation(
        smoothed_predicted_ms=round(predicted, 3) if math.isfinite(predicted) else None,
        window_start=float(start),
        window_seconds=float(seconds),
        replicas=count,
        simulated_replicas=fewest,
    )
    schedules = split_window(arrivals, start, seconds, sim.ready[window], count, s.seed)
    info.requests = int(sum(len(x) for x in schedules))
    empty = [i for i, x in enumerate(schedules) if len(x) == 0]
    if info.requests == 0 or empty:
        info.skipped = "the hardest window has too few requests to give every replica some"
        return info
    info.predicted_ms = _replayed_prediction(replica, schedules, plan.table.percentile, s.seed)
    try:
        with launch_replicas(
            store, name, count=count, cpu=replica.cores, memory_gb=replica.memory_gb,
            workers=replica.workers, threads=replica.threads,
        ) as running, running.generator():  # fmt: skip
            timeout = max(10.0, replica.objective.limit_ms / 1000.0 * 20)
            began, cpu = time.monotonic(), running.cpu_seconds()
            results = asyncio.run(
                _replay(running.urls, running.bodies, schedules, timeout, plan.table.limit_ms)
            )
            burnt = None if cpu is None else (running.cpu_seconds() or 0.0) - cpu
            throttling = running.throttling()
            if throttling is not None and throttling[0] > 0:
                info.throttled_share = round(throttling[1] / throttling[0], 4)
                info.throttled_seconds = round(throttling[2], 3)
            info.reasons = running.busy_reasons() or None
            info.machine_slowdown, info.machine_slowdowns = _slowdowns(store, name, running, began)
    except ServesizeError as exc:
        info.error = str(exc)
        info.met = False
        return info
    if info.machine_slowdown is not None:
        # the same requests through the model of a service that slow (the replica's
        # model is at the speed of its calibration runs): whether the model or the
        # host's speed made the difference (docs/planning.md)
        factor = service_slowdown(info.machine_slowdown, replica.sensitivity) / replica.speed
        at_speed = _at_speed(replica, factor)
        info.predicted_at_measured_speed_ms = _replayed_prediction(
            at_speed, schedules, plan.table.percentile, s.seed
        )
    measured = merged_percentile(results, plan.table.percentile)
    total = sum(int(r.metrics.get("totalQueries") or 0) for r in results)
    ok = sum(int(r.metrics.get("successQueries") or 0) for r in results)
    if burnt is not None and ok and burnt > 0 and replica.cpu_per_query > 0:
        # the same requests through the model of a service that burns what the
        # replicas did: whether the CPU figure or the queue's model made the difference
        info.cpu_seconds_per_query = round(burnt / ok, 6)
        factor = info.cpu_seconds_per_query / replica.cpu_per_query
        info.predicted_at_measured_cpu_ms = _replayed_prediction(
            _at_speed(replica, factor), schedules, plan.table.percentile, s.seed
        )
    info.success_rate = round(ok / total, 5) if total else None
    info.late_send_share = _late_share(results)
    limit = plan.table.limit_ms
    if measured is None:
        info.error = "no request was answered"
        info.met = False
        return info
    info.measured_ms = round(measured, 3)
    interval = percentile_interval(results, plan.table.percentile, design.confidence)
    if interval is not None:
        info.measured_interval_ms = [round(interval[0], 3), round(interval[1], 3)]
        if info.predicted_ms is not None:
            info.prediction_within_interval = interval[0] <= info.predicted_ms <= interval[1]
    decision = judge_replicas(results, design)
    info.decision = decision.to_dict()
    info.met = decision.outcome == "met" and (info.success_rate or 0.0) >= 0.99
    if info.predicted_ms:
        info.deviation = round(abs(measured - info.predicted_ms) / info.predicted_ms, 4)
    info.note = _note(info, limit, decision, replica.cpu_per_query)
    return info


def _slowdowns(
    store: Store, name: str, running: Replicas, began: float
) -> tuple[float | None, list[float] | None]:
    """The CPU's speed during the replay against the profile's fastest (its
    ``machineSpeed``; a profile from before the probe: the replay's own fastest): its
    median, and second by second."""
    if running.speed is None:
        return None, None
    speed = store.profiles.get(name).details.get("machineSpeed") or {}
    fastest = speed.get("fastestLoopMs") if isinstance(speed, dict) else None
    known = float(fastest) if isinstance(fastest, int | float) and fastest > 0 else None
    metrics = running.speed.run_metrics(began, time.monotonic(), fastest=known)
    return metrics["machineSlowdown"], metrics["machineSlowdowns"]


def _at_speed(replica: Replica, factor: float) -> Replica:
    """``replica`` on a CPU ``factor`` times slower: every request's work and CPU scaled
    (the model's CPU is a share of its work, so scaling the work scales both)."""
    return dataclasses.replace(
        replica,
        model=replica.model.at_speed(factor),
        cpu_per_query=replica.cpu_per_query * factor,
        speed=replica.speed * factor,
    )


def _replayed_prediction(
    replica: Replica, schedules: Sequence[np.ndarray], percentile: float, seed: int
) -> float | None:
    """The model's percentile over exactly the requests replayed: each replica's queue
    fed its own send times (what the measurement is compared with)."""
    latencies = np.concatenate(
        [replica_latencies_ms(replica, offsets, seed + i) for i, offsets in enumerate(schedules)]
    )
    value = float(np.percentile(latencies, percentile, method="inverted_cdf"))
    return round(value, 3) if math.isfinite(value) else None


def _note(info: PlanConfirmation, limit: float, decision: Decision, planned_cpu: float) -> str:
    if info.met:
        held = "meets"
    elif decision.outcome == "undecided":
        held = "is NOT confirmed against"
    else:
        held = "MISSES"
    text = (
        f"measured {info.measured_ms:g} ms against {info.predicted_ms or math.inf:g} ms "
        f"predicted on {info.replicas} replica(s); {held} the objective's {limit:g} ms "
        f"({decision.describe()})"
    )
    if info.reasons:
        return text + "; NOT TRUSTED: " + "; ".join(info.reasons)
    if info.machine_slowdown is not None and info.machine_slowdown > NOTED_SLOWDOWN:
        # not a verdict (docs/verdict.md): a slower CPU than the profile's explains a
        # measurement above the prediction, so the reader is told
        text += (
            f"; the CPU ran {info.machine_slowdown:.2f}x slower than at its fastest in the "
            "profile (a neighbour on the host)"
        )
        if info.predicted_at_measured_speed_ms is not None:
            text += f", at which the model predicts {info.predicted_at_measured_speed_ms:g} ms"
    else:
        slow = [x for x in info.machine_slowdowns or () if x is not None and x > NOTED_SLOWDOWN]
        if len(slow) >= NOTED_SLOW_SECONDS:
            # a median at speed can hide a spell: a replica at most of its quota carries
            # the backlog of a few slow seconds past them (bench/RESULTS-plan.md, 01:51
            # UTC: p99 20 ms without one, 2,500 ms with 16), so the reader is told
            text += (
                f"; in {len(slow)} of its {len(info.machine_slowdowns or ())} seconds the "
                f"CPU ran more than {NOTED_SLOWDOWN:g}x slower than at its fastest in the "
                "profile (a neighbour on the host)"
            )
    spent = info.cpu_seconds_per_query
    if spent and planned_cpu > 0 and abs(spent / planned_cpu - 1.0) > NOTED_CPU:
        # the model's largest input, as measured: a prediction off by about the same
        # factor then comes from the CPU figure, not from the queue's model
        text += (
            f"; the replicas burnt {spent * 1000:.2f} ms of CPU a request against "
            f"{planned_cpu * 1000:.2f} ms planned"
        )
        if info.predicted_at_measured_cpu_ms is not None:
            text += f", at which the model predicts {info.predicted_at_measured_cpu_ms:g} ms"
    interval = info.measured_interval_ms
    if interval is not None:
        # the measured percentile of a few hundred requests is itself uncertain: the
        # model disagrees only when its prediction lies outside that uncertainty
        where = "inside" if info.prediction_within_interval else "OUTSIDE"
        text += (
            f"; the prediction is {where} the measurement's "
            f"{decision.confidence:.0%} interval {interval[0]:g}-{interval[1]:g} ms"
        )
        if not info.prediction_within_interval:
            text += ": treat the plan's figures with care"
    elif info.deviation is not None and info.deviation > AGREEMENT:
        text += f"; the model is {info.deviation:.0%} off: treat the plan's figures with care"
    return text
