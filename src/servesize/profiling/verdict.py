"""Whether a measurement can be trusted: the rules of docs/profiling.md step 10.

``judge_run(metrics, settings=..., min_duration=..., ...)`` judges one open-loop run
(the measurement, the confirmation, a step of a sizing search) and returns the reasons
it cannot be trusted, empty when it can; ``verdict(...)`` turns the measurement's
reasons and the profile's other findings into ``VALID``/``INVALID``.

Every rule, and why it is sound (docs/verdict.md says the same for users):

1. **Long enough.**  The run lasted ``min_duration`` and completed ``min_queries``
   (the stop rule of MLPerf LoadGen).  The duration runs to the last completion, and
   the last arrival of a Poisson schedule falls before the end by an exponential gap of
   mean 1 / rate, more than 5 / rate with probability e^-5 < 1%: so the run may fall
   short of ``min_duration`` by 5 / rate (plus 1% for the clock's granularity) before
   it counts as cut short.
2. **The generator kept its own schedule.**  At most ``max_late_share`` (1%) of the
   requests left more than 1 ms after their due time.  Lateness is measured per send
   against the *realised* schedule, so it is free of the randomness of the arrivals;
   but which sends a late wake-up hits is chance, so the count is judged as a binomial
   one: the run fails when more sends were late than a generator whose true late share
   is 1% would show 99 times in 100 (``allowed_count``).  At 150 sends that is 5 (a
   generator 0.3% late, as measured on a quiet machine, sends 2 of 150 late one run in
   13, which a bare 1% rule would fail); at 5,000 sends it is 67 (1.3%).
   There is deliberately no test of the achieved rate against the nominal one: a
   Poisson schedule of n arrivals has a count spread of sqrt(n) (4.5% at n = 500),
   so such a test fails correct runs by chance (a 5% band fails one run in four).
3. **Every scheduled request ended.**  The results equal the requests the schedule
   issued; fewer means the run was cut short.  This compares the realised schedule
   with itself: no sampling spread to allow for.
4. **The service answered what was sent.**  At most ``MAX_UNANSWERED_SHARE`` (1%) of
   the requests ended without a response (timeout, reset, refused), judged on the
   count as rule 2 is.  On loopback a
   request is not lost by chance: unanswered requests are the service failing to keep
   up or falling over.  HTTP error statuses are answers (the data's fault, reported
   in ``successRate``), not a verdict matter.
5. **The service kept up.**  When the schedule ended, at most ``max(5% of the requests
   sent, 20)`` were still unanswered.  Sent and answered are counts of the *same*
   realised schedule, so the difference has no Poisson spread: it is the queue the
   service held at that instant.  A service that keeps up holds a stationary queue
   (mean rho / (1 - rho) for M/M/1: 1 request at the default target load of 0.5, 4 at
   a load of 0.8, and more than 20 there with probability 0.8^21 < 1%); one that
   cannot keep up holds
   (1 - capacity / rate) of everything sent, growing with the run.  So a shortfall of
   more than 5% of the rate is caught, and a smaller one is indistinguishable, within
   one run, from a queue that would drain.
6. **The machine was not busy.**  The service waited for CPUs held by other processes
   (run-queue delay minus quota throttling, capped by what others ran on its CPUs; see
   ``_sched``) at most ``MAX_CONTENTION_SHARE`` (1%) of the wall time *or* at most
   ``MAX_CONTENTION_STRETCH`` (10%) of its own CPU time.  The second part is what
   distorts figures: a service that waited 0.1 s per CPU-second ran its requests ~10%
   slower, the order of the recommendation's 15% safety margin.  The first keeps an
   almost idle service (a few ms of CPU a second) from being judged on a few ms of
   noise.  A CPU hog sharing the service's CPU makes it wait about as long as it runs
   (stretch ~100%); a quiet machine stays far below both limits.

Throttling by the CFS quota is reported (``throttledShare``) but is not a fault: it is
what the limit under test does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from servesize.profiling.phases import PhaseFigures
from servesize.profiling.settings import ProfileSettings

__all__ = [
    "MAX_BACKLOG_SHARE",
    "MAX_CONTENTION_SHARE",
    "MAX_CONTENTION_STRETCH",
    "MAX_UNANSWERED_SHARE",
    "MIN_BACKLOG_ALLOWANCE",
    "allowed_count",
    "contention_reasons",
    "judge_run",
    "kept_up",
    "service_reasons",
    "trust_reasons",
    "verdict",
]

MAX_UNANSWERED_SHARE = 0.01
MAX_BACKLOG_SHARE = 0.05
MIN_BACKLOG_ALLOWANCE = 20
MAX_CONTENTION_SHARE = 0.01
MAX_CONTENTION_STRETCH = 0.10
_Z99 = 2.326  # the standard normal's 99% quantile
_LAST_GAPS = 5.0  # mean inter-arrival gaps allowed between the last arrival and the end


def judge_run(
    metrics: Mapping[str, Any],
    *,
    settings: ProfileSettings,
    min_duration: float,
    min_queries: int = 0,
    figures: PhaseFigures | None = None,
    phase: str = "measurement",
) -> list[str]:
    """The reasons one open-loop run cannot be trusted (rules 1-6 of the module doc).

    ``metrics``: the load generator's (``LoadResult.metrics``); ``figures``: the
    sampler's contention figures of the run's phase (``Sampler.phase_figures``), when
    measured; ``phase`` names the run in the reasons.
    """
    reasons = trust_reasons(
        metrics,
        settings=settings,
        min_duration=min_duration,
        min_queries=min_queries,
        figures=figures,
        phase=phase,
    )
    reasons.extend(service_reasons(metrics, phase))
    return reasons


def trust_reasons(
    metrics: Mapping[str, Any],
    *,
    settings: ProfileSettings,
    min_duration: float,
    min_queries: int = 0,
    figures: PhaseFigures | None = None,
    phase: str = "measurement",
) -> list[str]:
    """Rules 1-3 and 6: the reasons a run says nothing about the service (too short, a
    late generator, cut short, a busy machine).  A run with such reasons is measured
    again, not believed; rules 4-5 (:func:`service_reasons`) are the service's own
    failure, which is an answer."""
    reasons: list[str] = []
    duration = float(metrics.get("durationSeconds") or 0.0)
    results = int(metrics.get("totalQueries") or 0)
    rate = float(metrics.get("requestedQueriesPerSecond") or 0.0)
    if duration < min_duration * 0.99 - (_LAST_GAPS / rate if rate > 0 else 0.0):
        reasons.append(
            f"the {phase} lasted {duration:.1f} s, less than the minimum {min_duration:g} s"
        )
    if results < min_queries:
        reasons.append(f"the {phase} sent {results} queries, fewer than the minimum {min_queries}")
    late = float(metrics.get("lateSendShare") or 0.0)
    if round(late * results) > allowed_count(results, settings.max_late_share):
        reasons.append(
            f"the load generator sent {late:.1%} of the {phase}'s requests more than 1 ms "
            f"late (limit {settings.max_late_share:.0%}): it could not keep its schedule"
        )
    scheduled = int(metrics.get("scheduledQueries") or 0)
    if scheduled > results:
        reasons.append(
            f"only {results} of the {scheduled} requests the {phase}'s schedule issued "
            "ended: the run was cut short"
        )
    if figures is not None:
        reasons.extend(contention_reasons(figures, phase))
    return reasons


def allowed_count(n: int, share: float, confidence: float = 0.99) -> int:
    """The most of ``n`` events a process with a true rate of ``share`` shows with
    probability ``confidence``: the ``confidence`` quantile of Binomial(n, share).

    >>> allowed_count(150, 0.01), allowed_count(5000, 0.01)
    (5, 67)
    """
    if n <= 0 or share <= 0:
        return 0
    mean = n * share
    if mean > 50:  # the normal approximation is within one count here
        return math.floor(mean + _Z99 * math.sqrt(mean * (1 - share)))
    pmf = (1 - share) ** n  # >= e^-50: no underflow
    cumulative, k = pmf, 0
    while cumulative < confidence and k < n:
        pmf *= (n - k) / (k + 1) * share / (1 - share)
        k += 1
        cumulative += pmf
    return k


def service_reasons(metrics: Mapping[str, Any], phase: str) -> list[str]:
    """Rules 4 and 5: the service left requests unanswered or could not keep up."""
    reasons = []
    results = int(metrics.get("totalQueries") or 0)
    unanswered = sum(int(v) for v in (metrics.get("errorsByKind") or {}).values())
    if results and unanswered > allowed_count(results, MAX_UNANSWERED_SHARE):
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(metrics["errorsByKind"].items()))
        reasons.append(
            f"the service left {unanswered} of the {results} requests of the {phase} "
            f"without a response ({kinds}; limit {MAX_UNANSWERED_SHARE:.0%})"
        )
    if not kept_up(metrics):
        backlog = int(metrics["backlogAtScheduleEnd"])
        sent = int(metrics.get("scheduledQueries") or results)
        allowance = max(MAX_BACKLOG_SHARE * sent, MIN_BACKLOG_ALLOWANCE)
        reasons.append(
            f"the service could not keep up: when the {phase}'s schedule ended, "
            f"{backlog} of the {sent} requests sent ({backlog / sent:.0%}) were still "
            f"unanswered (allowed: {allowance:.0f}, the queue of a service that keeps up)"
        )
    return reasons


def kept_up(metrics: Mapping[str, Any]) -> bool:
    """Rule 5: when the schedule ended, at most ``max(5% of the requests sent, 20)`` were
    unanswered (True when the run never reached its schedule's end)."""
    backlog = metrics.get("backlogAtScheduleEnd")
    sent = int(metrics.get("scheduledQueries") or metrics.get("totalQueries") or 0)
    if backlog is None or not sent:
        return True
    return bool(backlog <= max(MAX_BACKLOG_SHARE * sent, MIN_BACKLOG_ALLOWANCE))


def contention_reasons(figures: PhaseFigures, phase: str) -> list[str]:
    share = figures.contention_share
    waited = figures.contention_seconds
    if share is None or waited is None:
        return []
    stretch = waited / figures.cpu_seconds if figures.cpu_seconds > 0 else float("inf")
    if share <= MAX_CONTENTION_SHARE or stretch <= MAX_CONTENTION_STRETCH:
        return []
    # quoted as stored (cpuContentionShare has 4 digits): the sentence says what the
    # figure beside it says (0.30355 would read 30.4% here and 30.3% in the figures)
    shown = round(share, 4)
    return [
        f"the machine was busy: during the {phase} the service waited for CPUs held by "
        f"other processes {shown:.1%} of the time ({waited:.2f} s, {stretch:.2f} s per "
        f"CPU-second of its own work; limits {MAX_CONTENTION_SHARE:.0%} of the time and "
        f"{MAX_CONTENTION_STRETCH:.2f} s per CPU-second)"
    ]


def verdict(
    measurement: Sequence[str],
    *,
    capacity_stable: bool,
    extra: Sequence[str] = (),
) -> tuple[str, list[str]]:
    """``("VALID", [])`` when nothing is wrong, else ``("INVALID", reasons)``.

    ``measurement``: :func:`judge_run`'s reasons for the measurement; ``extra``: other
    findings (a recommendation that did not hold under confirmation, ...).
    """
    reasons = list(measurement)
    if not capacity_stable:
        reasons.append("no step of the capacity search reached stable throughput")
    reasons.extend(extra)
    return ("VALID" if not reasons else "INVALID"), reasons
