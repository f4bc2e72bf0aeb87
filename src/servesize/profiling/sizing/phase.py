"""Steps 8 and 9 of the procedure: size for the objective, then confirm the choice.

Fits :class:`ServiceModel` to what the profile measured (service times of one request
at a time, CPU seconds per query, the latency at the bound), lets :class:`Sizer` pick
allocations to try, and runs each trial as an open-loop load under exactly that
allocation (the running service's CPU quota changed in place; a fresh service when the
workers or threads change, or after a trial the service fell behind in).  Every run
is judged twice: whether it can be trusted (``verdict.trust_reasons``: a run on a busy
machine or with a late generator is measured again, once; so is one while the service's
CPU ran slow, when the profile sets ``max_slowdown``), and whether it met the
objective (``decision.decide``, looked at once a second: the run ends as soon as it is
decided, at most after its cap).  The confirmation (``confirm.py``) decides ``sloMet``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from servesize.load import LoadResult
from servesize.profiling._throttle import throttle_counts
from servesize.profiling.objective import Objective, default_objective, parse_slo
from servesize.profiling.queueing import ServiceModel, histogram_samples
from servesize.profiling.settings import ProfileSettings
from servesize.profiling.sizing.coldcost import ColdCost
from servesize.profiling.sizing.coldcost import measure as measure_cold
from servesize.profiling.sizing.decision import Decision, Design, decide
from servesize.profiling.sizing.search import Sizer
from servesize.profiling.sizing.trials import Allocation, Trial, allocation_for, grid
from servesize.profiling.speed import slowed
from servesize.profiling.verdict import kept_up, service_reasons, trust_reasons
from servesize.workspace import Figures

__all__ = [
    "Host",
    "LowLoad",
    "SizingPhase",
    "design_of",
    "judge_trial",
    "objective_of",
    "window_counts",
]

#: quantiles of the service-time distribution stored with the model (``sizingModel``)
_STORED_QUANTILES = 100


@dataclass(frozen=True)
class LowLoad:
    """The concurrency-1 step of the capacity search: one request at a time."""

    metrics: dict[str, Any]
    histogram: list[tuple[float, int]]


class Host(Protocol):
    """What the phase needs of :class:`ProfileRun`."""

    settings: ProfileSettings
    figures: Figures

    def _start_allocation(self, phase: str, alloc: Allocation, memory: int | None) -> Any: ...

    def _load(
        self,
        phase: str,
        run: Any,
        *,
        expected: float,
        watch: Callable[[dict[str, Any]], bool] | None = None,
        **spec: Any,
    ) -> LoadResult: ...

    def _runs_list(self) -> Sequence[Any]: ...

    def _phase(self, phase: str, fraction: float, text: str) -> None: ...


def objective_of(settings: ProfileSettings, low: LowLoad) -> Objective:
    """The objective given (``slo``), or the default derived from one request at a time."""
    if settings.slo:
        return parse_slo(settings.slo)
    p90 = float(low.metrics.get("latencyPercentile90InMs") or 0.0)
    return default_objective(p90)


def design_of(settings: ProfileSettings, objective: Objective) -> Design:
    return Design.of(
        objective.percentile, confidence=settings.confidence, indifference=settings.indifference
    )


def window_counts(windows: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """``(requests, over the limit)`` per 1 s window of a run measured with a threshold."""
    return [
        (int(w.get("queries") or 0), int(w.get("queriesOverThreshold") or 0))
        for w in windows
        if "queriesOverThreshold" in w
    ]


def judge_trial(
    trial: Trial,
    windows: Sequence[dict[str, Any]],
    design: Design,
    baseline_success: float,
    error_slack: float,
    needed_seconds: float = 0.0,
    stopped: Decision | None = None,
) -> Trial:
    """``trial`` with its decision and whether it met the objective: decided met, kept
    up, nothing left unanswered beyond the verdict's allowance, and no more errors than
    one request at a time had.

    The decision is the one that stopped the run (``stopped``), made on the requests of
    the windows closed by then: the requests still in flight, or sent in the last part of
    a second, are answered after it and are not part of the test. Judging them too
    turned a decided met into undecided whenever one of them was slow (a met is decided
    at its boundary, where one more request over the limit moves it back), as a request
    queued behind a slow one often is. A run that ended at its cap without a decision
    is judged on all of its requests (its metrics' counts)."""
    m = trial.metrics
    n = int(m.get("totalQueries") or 0)
    over = m.get("queriesOverThreshold")
    seconds = float(m.get("durationSeconds") or 0.0)
    decision = stopped
    if decision is None and over is not None:
        counts = window_counts(windows)
        decision = decide(
            int(over), n, design, counts, seconds=seconds, needed_seconds=needed_seconds
        )
    success = float(m.get("successRate") or 0.0) >= baseline_success - error_slack
    fell_behind = not kept_up(m)
    met = (
        decision is not None
        and decision.met
        and success
        and not service_reasons(m, trial.phase)
        and not trial.untrusted
    )
    return replace(trial, decision=decision, met=met, fell_behind=fell_behind)


class SizingPhase:
    def __init__(self, host: Host, run: Any, memory_bytes: int | None) -> None:
        self.host = host
        self.s = host.settings
        self.current = run
        self.bound: Allocation = run.allocation
        self.memory_bytes = memory_bytes
        self.baseline_success = 1.0
        #: the running service fell behind in the last trial: the next starts a fresh one
        #: (on the example at 0.3 cores, after a trial with p90 of 1.2 s the same process
        #: burnt 6-7 ms of CPU a request for the rest of the search, a fresh one 4.4 ms)
        self.spoiled = False
        #: what could not be trusted even when measured again (for the verdict)
        self.untrusted: list[str] = []
        self.objective: Objective | None = None
        self.design: Design | None = None
        #: the fitted queue, once fitted: how long a run must last to be called met
        self.queue: ServiceModel | None = None

    # -- the model ------------------------------------------------------------------

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
        # not capped at one core: the example burnt 6.9 ms of CPU a request on one core
        # where one at a time took 5.3 ms (the server's threads beside the request's), and
        # a model that burnt 5.3 put its rate within p90 <= 11.5 ms at 0.3 cores at 36/s,
        # one burning 6.9 at 25/s, where 9/s was measured: the rest of the gap is CPU a
        # request burns only under a small quota (docs/profiling.md, "What is predicted")
        fraction = cpu_per_query / mean if mean > 0 and cpu_per_query > 0 else 1.0
        # the search's model enforces the quota exactly; the kernel's tick is stored for
        # plans (_model_details).  With the tick but without the dearer requests a
        # throttled service serves after its idle gaps, the model put 0.2 cores of the
        # example within efficiency_tie of 0.3 (208 against 224/s a core) where 0.2
        # measured 137-172/s a core and 0.3 173-229: 3 of 16 profiles answered 0.2
        # (docs/profiling.md, "What is predicted")
        return ServiceModel(work=tuple(work), cpu_fraction=fraction)

    def cold_cost(self, low: LowLoad) -> ColdCost:
        """What a request costs after an idle gap, measured at the bound (coldcost.py)."""
        run = self.current
        service = run.service
        cgroup = getattr(service, "cgroup", None)
        precise = cgroup is not None and cgroup.cpu_seconds() is not None
        one = float(low.metrics.get("averageLatencyInMs") or 0.0) / 1000.0
        self.host._phase("sizing", 0.0, "the cost of a request after an idle gap")
        # one row, the median by size, in every run: rows that differ in cost (texts of
        # different lengths) would otherwise differ between the runs' few requests
        rows = sorted(getattr(self.host, "_bodies", None) or [], key=len)
        body = rows[len(rows) // 2 : len(rows) // 2 + 1]

        def once(spec: dict[str, Any]) -> tuple[float, int, float]:
            offsets = spec.get("schedule")
            expected = float(spec.get("duration") or (offsets[-1] if offsets else 0.0)) + 0.1
            before = service.cpu_seconds()
            m = self.host._load("sizing", run, expected=expected, bodies=body, **spec).metrics
            latency = float(m.get("averageLatencyInMs") or 0.0) / 1000.0
            return service.cpu_seconds() - before, int(m.get("totalQueries") or 0), latency

        return measure_cold(once, one, precise)

    # -- trials ---------------------------------------------------------------------

    def measure(self, alloc: Allocation, rate: float) -> Trial:
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
        self.host._phase("sizing", 0.0, f"{alloc.label} at {rate:.1f}/s")
        s = self.s
        trial = self.judged("sizing", run, alloc, rate, s.trial_duration, s.trial_max_seconds)
        self.spoiled = trial.fell_behind
        if trial.untrusted:
            self.untrusted.append(
                f"a sizing trial ({alloc.label} at {rate:.1f}/s) could not be trusted, "
                f"measured twice: {'; '.join(trial.untrusted)}"
            )
        return trial

    def judged(
        self, phase: str, run: Any, alloc: Allocation, rate: float, least: float, most: float
    ) -> Trial:
        """A decided run that can be trusted: measured again once when the first could
        not be (a busy machine, a late generator); if neither could, the trial says why
        and does not count as met.  With ``max_slowdown`` set (off by default), measured
        again once, too, when the service's CPU ran more than that many times slower
        than its fastest in the profile (a neighbour on the host:
        :mod:`servesize.profiling.speed`); the second run stands however fast the CPU
        ran, with its slowdown in its row."""
        trial = self._timed(phase, run, alloc, rate, least, most)
        slowdown = trial.metrics.get("machineSlowdown")
        if not trial.untrusted and not slowed(slowdown, self.s.max_slowdown):
            return trial
        why = list(trial.untrusted) or [f"the CPU ran {slowdown:.2f}x slower than its fastest"]
        again = self._timed(phase, run, alloc, rate, least, most)
        return replace(again, remeasured=tuple(why))

    def _timed(
        self, phase: str, run: Any, alloc: Allocation, rate: float, least: float, most: float
    ) -> Trial:
        """One open-loop run of at least ``least`` seconds that ends as soon as the
        objective is decided, at most after ``most``."""
        assert self.objective is not None
        assert self.design is not None
        design = self.design
        first = len(run.sampler.samples)
        before = run.sampler.phase_figures(phase)
        cpu_before = run.service.cpu_seconds()
        throttle_before = throttle_counts(run.service)

        needed = self.needed_seconds(alloc, rate)
        stopped: list[Decision] = []

        def watch(snapshot: dict[str, Any]) -> bool:
            counts = snapshot.get("windowCounts")
            t = float(snapshot.get("t") or 0.0)
            if not counts or t < least:
                return False
            n = sum(c[0] for c in counts)
            over = sum(c[1] for c in counts)
            decision = decide(over, n, design, counts, seconds=t, needed_seconds=needed)
            if decision.outcome != "undecided":
                stopped.append(decision)
            return decision.outcome != "undecided"

        result = self.host._load(
            phase,
            run,
            expected=most,
            rate=rate,
            arrival=self.s.arrival,
            duration=most,
            threshold_ms=self.objective.limit_ms,
            watch=watch,
        )
        m = dict(result.metrics)
        elapsed = float(m.get("durationSeconds") or least)
        after = throttle_counts(run.service)
        peak = max((row["memoryInGB"] for row in run.sampler.samples[first:]), default=None)
        figures = run.sampler.phase_figures(phase).since(before)
        untrusted = trust_reasons(
            m, settings=self.s, min_duration=least, figures=figures, phase=f"{phase} trial"
        )
        trial = Trial(
            alloc,
            rate,
            self.objective.value(m),
            False,
            m,
            utilized_cpu=round((run.service.cpu_seconds() - cpu_before) / elapsed, 4),
            throttled_share=after.share_since(throttle_before) if after else None,
            peak_memory_gb=round(peak, 4) if peak is not None else None,
            phase=phase,
            untrusted=tuple(untrusted),
        )
        return self.judge(trial, result.windows, needed, stopped[0] if stopped else None)

    def needed_seconds(self, alloc: Allocation, rate: float) -> float:
        """The run length a met needs at ``alloc`` and ``rate`` (0 before the fit)."""
        if self.queue is None or self.s.relaxation_runs <= 0:
            return 0.0
        tau = self.queue.relaxation_seconds(alloc.cores, alloc.workers, rate)
        return self.s.relaxation_runs * tau

    def judge(
        self,
        trial: Trial,
        windows: Sequence[dict[str, Any]],
        needed_seconds: float = 0.0,
        stopped: Decision | None = None,
    ) -> Trial:
        assert self.design is not None
        return judge_trial(
            trial, windows, self.design, self.baseline_success, self.s.error_slack,
            needed_seconds, stopped,
        )  # fmt: skip

    # -- the whole phase ------------------------------------------------------------

    def run(
        self,
        low: LowLoad,
        measured: Trial,
        windows: Sequence[dict[str, Any]],
        cpu_per_query: float,
    ) -> list[str]:
        """Search, confirm, fill the details; return the verdict's reasons (trials that
        could not be trusted, a confirmation that could not be or did not hold)."""
        from servesize.profiling.sizing.confirm import confirm_until_held, impossible

        s, f = self.s, self.host.figures
        # rows the script always rejects are not overload: judge errors beyond them
        self.baseline_success = float(low.metrics.get("successRate") or 1.0)
        objective = self.objective = objective_of(s, low)
        self.design = design_of(s, objective)
        # the measurement counts as a trial at the bound when it can be trusted (else the
        # search measures it again, as it would a trial)
        figures = self.current.sampler.phase_figures("measurement")
        untrusted = trust_reasons(
            measured.metrics,
            settings=s,
            min_duration=s.min_duration,
            min_queries=s.min_queries,
            figures=figures,
        )
        value = objective.value(measured.metrics)  # the objective is known only now
        measured = replace(measured, value_ms=value, untrusted=tuple(untrusted))
        measured = self.judge(measured, windows)
        # not shifted by the measurement's gap to the model: on the example that gap was
        # +9 ms at the bound (98/s on one core) and -1.3 ms one at a time, so a constant
        # fitted at the bound condemned every allocation (docs/profiling.md)
        model = self.model(low, cpu_per_query)
        f.latency_objective = objective.label
        f.latency_objective_source = objective.source
        machine = f.machine
        hz = machine.kernel_hz if machine is not None else None
        cold = self.cold_cost(low) if s.cold_cost else None
        f.sizing_model = _model_details(model, tick=1.0 / hz if hz else 0.0, cold=cold)
        self.queue = model
        low_trial = Trial(
            self.bound,
            float(low.metrics.get("measuredQueriesPerSecond") or 0.0),
            objective.value(low.metrics),
            False,
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
            self.measure,
            known=[low_trial, measured],
            max_trials=s.max_trials,
            tie=s.efficiency_tie,
            resolution=s.rate_resolution,
            step=s.rate_step,
        )
        outcome = sizer.for_rate(s.qps) if s.qps else sizer.per_replica()
        self.current.stop()
        f.sizing_note = outcome.note
        f.sizing = [t.to_row() for t in outcome.trials] + outcome.predictions
        if outcome.allocation is None:
            impossible(self, outcome, objective, halted=sizer.halted)
            return list(self.untrusted)
        return [*self.untrusted, *confirm_until_held(self, sizer, outcome, objective)]


def _model_details(model: ServiceModel, tick: float, cold: ColdCost | None) -> dict[str, Any]:
    work = sorted(model.work)
    picks = [
        work[min(len(work) - 1, int((i + 0.5) * len(work) / _STORED_QUANTILES))]
        for i in range(_STORED_QUANTILES)
    ]
    return {
        "serviceTimeMeanInMs": round(sum(work) / len(work) * 1000, 3),
        "cpuFraction": round(model.cpu_fraction, 4),
        "overheadInMs": round(model.overhead_ms, 3),
        # the kernel's tick a plan simulates the quota at (null: enforced exactly)
        "quotaTickInMs": round(tick * 1000, 3) if tick > 0 else None,
        # what a request costs after the service idled (plans only: coldcost.py)
        **_cold_details(cold),
        # the service-time distribution, so the model can be rebuilt from the details
        "serviceTimesMs": [round(w * 1000, 4) for w in picks],
    }


def _cold_details(cold: ColdCost | None) -> dict[str, Any]:
    if cold is None:  # the setting is off
        return {"coldExtra": None, "coolInMs": None}
    extra, cool = cold.fitted
    return {
        "coldExtra": round(extra, 4) if extra > 0 else None,
        "coolInMs": round(cool * 1000.0, 3) if extra > 0 else None,
        "coldCost": cold.to_details(),
    }
