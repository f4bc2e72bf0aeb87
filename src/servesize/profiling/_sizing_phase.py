"""Steps 7 and 8 of the procedure: size for the objective, then confirm the choice.

Fits :class:`ServiceModel` to what the profile measured (service times of one request
at a time, CPU seconds per query, the latency at the bound), lets :class:`Sizer` pick
allocations to try, runs each trial as a short open-loop load under exactly that
allocation (the running service's CPU quota changed in place; a restart only when the
workers or threads change), then confirms the recommendation in a fresh service under
exactly the recommended limits at the target rate.  That run decides ``sloMet``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from servesize.errors import ServiceError
from servesize.load import LoadResult
from servesize.profiling._throttle import throttle_counts
from servesize.profiling.objective import Objective, default_objective, parse_slo
from servesize.profiling.queueing import (
    ServiceModel,
    histogram_samples,
    service_time_quantiles,
)
from servesize.profiling.recommend import after_oom_gb, round_up
from servesize.profiling.settings import GIB, ProfileSettings
from servesize.profiling.sizing import (
    Allocation,
    Outcome,
    Sizer,
    Trial,
    allocation_for,
    grid,
    overloaded,
)
from servesize.profiling.verdict import contention_reasons, judge_run, service_reasons
from servesize.workspace import Confirmation, Figures

__all__ = ["LowLoad", "SizingPhase"]

_CONFIRM_MAX_SECONDS = 60.0
#: confirmations at most: the answer, then up to two escalations (Sizer.escalate)
_CONFIRMATIONS = 3
_ERROR_SLACK = 0.01


@dataclass(frozen=True)
class LowLoad:
    """The concurrency-1 step of the capacity search: one request at a time."""

    metrics: dict[str, Any]
    histogram: list[tuple[float, int]]


class _Host(Protocol):
    """What the phase needs of :class:`ProfileRun`."""

    settings: ProfileSettings
    figures: Figures

    def _start_allocation(self, phase: str, alloc: Allocation, memory: int | None) -> Any: ...

    def _load(self, phase: str, run: Any, *, expected: float, **spec: Any) -> LoadResult: ...

    def _runs_list(self) -> Sequence[Any]: ...

    def _phase(self, phase: str, fraction: float, text: str) -> None: ...


def trial_seconds(
    settings: ProfileSettings, objective: Objective, rate: float, floor: float
) -> float:
    """Long enough for 3 requests beyond the objective's percentile, within bounds."""
    needed = 3.0 / objective.tail_share / rate if rate > 0 else floor
    return min(max(floor, needed), max(floor, settings.trial_max_seconds))


class SizingPhase:
    def __init__(self, host: _Host, run: Any, memory_bytes: int | None) -> None:
        self.host = host
        self.s = host.settings
        self.current = run
        self.bound: Allocation = run.allocation
        self.memory_bytes = memory_bytes
        self.baseline_success = 1.0
        #: the running service went through an overload (sizing.overloaded): the
        #: next trial starts a fresh one
        self.spoiled = False

    # -- the model ------------------------------------------------------------------

    def objective(self, low: LowLoad) -> Objective:
        if self.s.slo:
            return parse_slo(self.s.slo)
        p90 = float(low.metrics.get("latencyPercentile90InMs") or 0.0)
        return default_objective(p90)

    def model(self, low: LowLoad, cpu_per_query: float) -> ServiceModel:
        work = histogram_samples(low.histogram) or [max(cpu_per_query, 1e-4)]
        mean = sum(work) / len(work)
        exact = float(low.metrics.get("averageLatencyInMs") or 0.0) / 1000.0
        # one at a time under a fractional quota the service times include the
        # throttling the model adds itself: rescale them to the CPU they burn; else to
        # the measured mean, as the histogram's samples are the middles of log-spaced
        # bins and their mean can be 20% off
        fractional = self.bound.cores < 1.0 and cpu_per_query > 0
        target = cpu_per_query if fractional else exact
        if target > 0 and mean > 0:
            work = [w * target / mean for w in work]
            mean = target
        fraction = min(1.0, cpu_per_query / mean) if mean > 0 and cpu_per_query > 0 else 1.0
        return ServiceModel(work=tuple(work), cpu_fraction=fraction)

    # -- trials ---------------------------------------------------------------------

    def measure(self, alloc: Allocation, rate: float, objective: Objective, length: float) -> Trial:
        run = self.current
        processes = (alloc.workers, alloc.threads)
        if self.spoiled or (run.allocation.workers, run.allocation.threads) != processes:
            run.stop()
            # started under the bound's quota, then cut to the trial's: start-up is not
            # what a trial measures, and a Python service importing its libraries under
            # 0.1 core took 8.6 s to start, under 1 core 0.7 s (the notebook test's log)
            start = replace(alloc, cores=max(alloc.cores, self.bound.cores))
            run = self.current = self.host._start_allocation("sizing", start, self.memory_bytes)
        if run.allocation != alloc:
            run.service.resize(cpu=alloc.cores, memory_bytes=run.memory_limit)
            run.allocation = alloc
        seconds = trial_seconds(self.s, objective, rate, self.s.trial_duration) * length
        again = " (again, twice as long)" if length > 1.0 else ""
        self.host._phase("sizing", 0.0, f"{alloc.label} at {rate:.1f}/s{again}")
        trial = self._timed("sizing", run, alloc, rate, seconds, objective)
        self.spoiled = overloaded(trial, objective.limit_ms)
        return replace(trial, length=length)

    def _timed(
        self, phase: str, run: Any, alloc: Allocation, rate: float, seconds: float, o: Objective
    ) -> Trial:
        first = len(run.sampler.samples)
        cpu_before = run.service.cpu_seconds()
        throttle_before = throttle_counts(run.service)
        result = self.host._load(
            phase,
            run,
            expected=seconds,
            rate=rate,
            arrival=self.s.arrival,
            duration=seconds,
        )
        m = dict(result.metrics)
        elapsed = float(m.get("durationSeconds") or seconds)
        after = throttle_counts(run.service)
        peak = max((row["memoryInGB"] for row in run.sampler.samples[first:]), default=None)
        value = o.value(m)
        return Trial(
            alloc,
            rate,
            value,
            _met(m, o, self.baseline_success),
            m,
            utilized_cpu=round((run.service.cpu_seconds() - cpu_before) / elapsed, 4),
            throttled_share=after.share_since(throttle_before) if after else None,
            peak_memory_gb=round(peak, 4) if peak is not None else None,
            phase=phase,
        )

    # -- the whole phase ------------------------------------------------------------

    def run(self, low: LowLoad, measured: Trial, cpu_per_query: float) -> list[str]:
        """Search, confirm, fill the details; return reasons the confirmation failed."""
        s, f = self.s, self.host.figures
        # rows the script always rejects are not overload: judge errors beyond them
        self.baseline_success = float(low.metrics.get("successRate") or 1.0)
        objective = self.objective(low)
        measured = replace(
            measured,
            value_ms=objective.value(measured.metrics),
            met=_met(measured.metrics, objective, self.baseline_success),
        )
        model = self.model(low, cpu_per_query)
        predicted = model.percentile_ms(
            self.bound.cores, self.bound.workers, measured.rate, objective.percentile
        )
        if measured.value_ms is not None and math.isfinite(predicted):
            # time the queue does not see (HTTP, client) is at most about a service time;
            # a larger gap means the bound was near saturation, where a shift would
            # wrongly condemn every allocation: the trials correct the model there
            mean_ms = sum(model.work) / len(model.work) * 1000.0
            overhead = min(max(0.0, measured.value_ms - predicted), mean_ms)
            model = ServiceModel(model.work, model.cpu_fraction, overhead)
        f.latency_objective = objective.label
        f.latency_objective_source = objective.source
        f.sizing_model = {
            "serviceTimeMeanInMs": round(sum(model.work) / len(model.work) * 1000, 3),
            "cpuFraction": round(model.cpu_fraction, 4),
            "overheadInMs": round(model.overhead_ms, 3),
            # the distribution, so a plan can rebuild the model (ServiceModel.from_details)
            "serviceTimesMs": service_time_quantiles(model.work),
        }
        low_trial = Trial(
            self.bound,
            float(low.metrics.get("measuredQueriesPerSecond") or 0.0),
            objective.value(low.metrics),
            _met(low.metrics, objective, self.baseline_success),
            low.metrics,
            phase="capacity (one request at a time)",
        )
        candidates = [
            allocation_for(k, s.workers) for k in grid(self.bound.cores, s.cpu_step, s.min_cpu)
        ]
        candidates[-1] = self.bound
        sizer = Sizer(
            model,
            objective,
            candidates,
            lambda a, r, n: self.measure(a, r, objective, n),
            known=[low_trial, measured],
            max_trials=s.max_trials,
            tie=s.efficiency_tie,
        )
        outcome = sizer.for_rate(s.qps) if s.qps else sizer.per_replica()
        self.current.stop()
        f.sizing_note = outcome.note
        f.sizing = [t.to_row() for t in outcome.trials] + outcome.predictions
        if outcome.allocation is None:
            return self._impossible(outcome, objective)
        return self._confirm_until_held(sizer, outcome, objective)

    def _impossible(self, outcome: Outcome, objective: Objective) -> list[str]:
        f = self.host.figures
        f.slo_met = False
        given = objective.source == "given"
        if given:
            f.recommended_cpu = f.recommended_memory_in_gb = None
        best = outcome.best()
        if best is not None and best.value_ms is not None:
            f.best_latency_in_ms = round(best.value_ms, 3)
            f.best_latency_by = f"{best.allocation.label} at {best.rate:.1f}/s ({best.phase})"
            f.sizing_note = (
                f"no allocation up to {self.bound.label} meets {objective.label}: the best "
                f"p{objective.percentile} measured was {best.value_ms:.1f} ms "
                f"({f.best_latency_by}); no recommendation is given"
            )
        if not given:
            # Azure's callers always get a figure: without an objective of theirs the
            # usage measured at the bound stands, and the note says it is not sized
            f.sizing_note = (
                f"no allocation tried met the default objective {objective.label}; the "
                "recommendation is the usage measured at the bound, not a sizing"
            )
        return []

    def _memory_gb(self, workers: int) -> float:
        runs = [r for r in self.host._runs_list() if r.allocation.workers == workers]
        runs = runs or list(self.host._runs_list())
        peak = max((r.sampler.peak_memory_bytes for r in runs), default=0)
        margin = 1.0 + self.s.safety_margin
        return max(self.s.min_memory_gb, round_up(peak / GIB * margin, self.s.memory_step_gb))

    def _confirm_until_held(self, sizer: Sizer, outcome: Outcome, o: Objective) -> list[str]:
        """Confirm the answer; when the service fails its confirmation (the objective
        missed, requests unanswered, or it could not keep up) on a machine that was not
        busy, confirm the next answer up, at most ``_CONFIRMATIONS`` times: a short
        trial can pass by luck, and what is recommended must be what was confirmed."""
        missed: list[str] = []
        for attempt in range(_CONFIRMATIONS):
            reasons, service_failed = self._confirm(outcome, o)
            if not service_failed or attempt == _CONFIRMATIONS - 1:
                break
            after = sizer.escalate(outcome, self.s.qps)
            if after is None or after.allocation is None:
                break
            missed.append(self._missed(outcome))
            outcome = after
        if missed:
            f = self.host.figures
            assert outcome.allocation is not None
            f.sizing_note = (
                f"{f.sizing_note}; failed its confirmation: {'; '.join(missed)}; confirmed "
                f"next: {outcome.allocation.label} at {outcome.rate_per_replica:.1f}/s a replica"
                + (f" x {outcome.replicas} replicas" if outcome.replicas > 1 else "")
            )
        return reasons

    def _missed(self, outcome: Outcome) -> str:
        f = self.host.figures
        assert outcome.allocation is not None
        value = f.recommendation_latency_in_ms
        what = "could not keep up" if value is None or f.slo_met is not False else f"{value:.1f} ms"
        return f"{outcome.allocation.label} at {outcome.rate_per_replica:.1f}/s a replica ({what})"

    def _confirm(self, outcome: Outcome, objective: Objective) -> tuple[list[str], bool]:
        """Run the confirmation; return the reasons it cannot be trusted and whether the
        service itself failed it (so the next answer up may hold)."""
        s, f = self.s, self.host.figures
        alloc = outcome.allocation
        assert alloc is not None
        memory_gb = self._memory_gb(alloc.workers)
        rate = outcome.rate_per_replica
        f.recommended_cpu = alloc.cores
        f.recommended_memory_in_gb = memory_gb
        f.recommended_workers = alloc.workers
        f.recommended_threads = alloc.threads
        f.recommended_replicas = outcome.replicas
        f.max_queries_per_second_within_slo = round(outcome.max_rate_within or 0.0, 3)
        if not s.confirm:
            f.slo_met = None
            f.confirmation = Confirmation(
                skipped="confirm is off: the recommendation is unconfirmed"
            )
            return [], False
        info = Confirmation(
            requested_cpu=alloc.cores,
            requested_memory_in_gb=memory_gb,
            workers=alloc.workers,
            threads=alloc.threads,
            requested_queries_per_second=round(rate, 3),
        )
        f.confirmation = info
        seconds = trial_seconds(s, objective, rate, s.confirm_duration)
        seconds = min(seconds, max(s.confirm_duration, _CONFIRM_MAX_SECONDS))
        try:
            run = self.host._start_allocation("confirmation", alloc, int(memory_gb * GIB))
            trial = self._timed("confirmation", run, alloc, rate, seconds, objective)
        except ServiceError as exc:
            runs = self.host._runs_list()
            oom = bool(runs) and runs[-1].service.oom_killed
            info.held = False
            info.error = f"{exc}{' (OOM-killed)' if oom else ''}"
            f.slo_met = False
            if oom:
                f.recommended_memory_in_gb = after_oom_gb(memory_gb * GIB, s)
            return [f"the service did not run under the recommended limits: {info.error}"], False
        m = trial.metrics
        info.take_load_metrics(m)
        figures = run.sampler.phase_figures("confirmation")
        figures.put_into(info)  # contention and throttling of the run
        info.utilized_cpu = trial.utilized_cpu
        f.slo_met = trial.met
        if trial.met and rate > (f.max_queries_per_second_within_slo or 0.0):
            # the model's estimate stands below a rate this very run met the objective at
            f.max_queries_per_second_within_slo = round(rate, 3)
        f.recommendation_latency_in_ms = trial.value_ms
        f.sizing = [*(f.sizing or []), trial.to_row()]
        # the same judgement as the measurement's: schedule kept, answered, kept up, no
        # contention (servesize.profiling.verdict)
        reasons = judge_run(
            m, settings=s, min_duration=seconds, figures=figures, phase="confirmation"
        )
        fell = float(m.get("successRate") or 0) < self.baseline_success - _ERROR_SLACK
        if fell:
            reasons.append(f"the success rate fell to {float(m.get('successRate') or 0):.1%}")
        # the service's own failure, not the machine's: the next answer up may hold
        failed = not trial.met or fell or bool(service_reasons(m, "confirmation"))
        service_failed = failed and not contention_reasons(figures, "confirmation")
        info.held = not reasons and trial.met
        return reasons, service_failed


def _met(m: dict[str, Any], objective: Objective, baseline: float) -> bool:
    """The objective held and no more requests failed than one at a time (``baseline``).
    A service that cannot keep up fails the objective itself: latency counts from the
    scheduled send."""
    return objective.met(m) and float(m.get("successRate") or 0.0) >= baseline - _ERROR_SLACK
