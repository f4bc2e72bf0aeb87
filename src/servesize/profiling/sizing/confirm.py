"""Step 9: the confirmation of a sizing, and what is said when nothing can be confirmed.

A fresh service under exactly the recommendation (cores, memory, workers, threads) at
the rate one replica carries, for at least ``confirm_duration``, then until the
objective is decided, at most ``confirm_max_seconds``.  Its decision is the profile's:
``sloMet`` is true only when it was decided met (``sloDecision``, ``sloConfidence``).
A decided miss, or the service failing (unanswered requests, a backlog, more errors),
on a run that could be trusted confirms the next answer up (``Sizer.escalate``), at most
``confirmations`` answers in all; an undecided confirmation stays undecided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from servesize.errors import ServiceError
from servesize.profiling.objective import Objective
from servesize.profiling.recommend import after_oom_gb, round_up
from servesize.profiling.settings import GIB
from servesize.profiling.sizing.search import Sizer
from servesize.profiling.sizing.trials import Outcome, Trial
from servesize.profiling.verdict import service_reasons
from servesize.workspace import Confirmation

if TYPE_CHECKING:
    from servesize.profiling.sizing.phase import SizingPhase

__all__ = ["confirm_until_held", "impossible"]


def confirm_until_held(
    phase: SizingPhase, sizer: Sizer, outcome: Outcome, objective: Objective
) -> list[str]:
    """Confirm the answer, and the next one up after each decided miss; return the
    verdict's reasons about the last confirmation."""
    missed: list[str] = []
    reasons: list[str] = []
    for attempt in range(phase.s.confirmations):
        reasons, failed = _confirm(phase, outcome, objective)
        if not failed or attempt == phase.s.confirmations - 1:
            break
        after = sizer.escalate(outcome, phase.s.qps)
        if after is None or after.allocation is None:
            break
        missed.append(_missed(phase, outcome))
        outcome = after
    f = phase.host.figures
    if missed:
        assert outcome.allocation is not None
        f.sizing_note = (
            f"{f.sizing_note}; missed in its confirmation: {'; '.join(missed)}; confirmed "
            f"next: {outcome.allocation.label} at {outcome.rate_per_replica:.1f}/s a replica"
            + (f" x {outcome.replicas} replicas" if outcome.replicas > 1 else "")
        )
    if f.slo_decision == "undecided":
        f.sizing_note = (
            f"{f.sizing_note}; the confirmation was undecided: not shown to meet "
            f"{objective.label} (nor to miss it) within {phase.s.confirm_max_seconds:g} s"
        )
    return reasons


def _missed(phase: SizingPhase, outcome: Outcome) -> str:
    f = phase.host.figures
    assert outcome.allocation is not None
    decision = f.confirmation.decision if f.confirmation else None
    what = "could not keep up"
    if decision:
        what = f"{decision['overLimit']} of {decision['n']} requests over the limit"
    return f"{outcome.allocation.label} at {outcome.rate_per_replica:.1f}/s a replica ({what})"


def _memory_gb(phase: SizingPhase, workers: int) -> float:
    s = phase.s
    runs = [r for r in phase.host._runs_list() if r.allocation.workers == workers]
    runs = runs or list(phase.host._runs_list())
    peak = max((r.sampler.peak_memory_bytes for r in runs), default=0)
    margin = 1.0 + s.safety_margin
    return max(s.min_memory_gb, round_up(peak / GIB * margin, s.memory_step_gb))


def _confirm(phase: SizingPhase, outcome: Outcome, objective: Objective) -> tuple[list[str], bool]:
    """Run the confirmation; return the verdict's reasons and whether the service itself
    failed it on a run that could be trusted (so the next answer up may hold)."""
    s, f = phase.s, phase.host.figures
    alloc = outcome.allocation
    assert alloc is not None
    memory_gb = _memory_gb(phase, alloc.workers)
    rate = outcome.rate_per_replica
    f.recommended_cpu = alloc.cores
    f.recommended_memory_in_gb = memory_gb
    f.recommended_workers = alloc.workers
    f.recommended_threads = alloc.threads
    f.recommended_replicas = outcome.replicas
    f.max_queries_per_second_within_slo = round(outcome.max_rate_within or 0.0, 3)
    if not s.confirm:
        f.slo_met = None
        f.slo_decision = None
        f.confirmation = Confirmation(skipped="confirm is off: the recommendation is unconfirmed")
        return [], False
    info = Confirmation(
        requested_cpu=alloc.cores,
        requested_memory_in_gb=memory_gb,
        workers=alloc.workers,
        threads=alloc.threads,
        requested_queries_per_second=round(rate, 3),
    )
    f.confirmation = info
    f.slo_confidence = s.confidence
    try:
        run = phase.host._start_allocation("confirmation", alloc, int(memory_gb * GIB))
        trial = phase.judged(
            "confirmation", run, alloc, rate, s.confirm_duration, s.confirm_max_seconds
        )
    except ServiceError as exc:
        runs = phase.host._runs_list()
        oom = bool(runs) and runs[-1].service.oom_killed
        info.held = False
        info.error = f"{exc}{' (OOM-killed)' if oom else ''}"
        f.slo_met = False
        f.slo_decision = "missed"
        if oom:
            f.recommended_memory_in_gb = after_oom_gb(memory_gb * GIB, s)
        return [f"the service did not run under the recommended limits: {info.error}"], False
    _record(phase, info, run, trial, rate)
    if trial.untrusted:
        # measured twice and neither could be trusted: no answer either way
        f.slo_met = None
        f.slo_decision = "undecided"
        info.held = False
        return [f"the confirmation could not be trusted: {'; '.join(trial.untrusted)}"], False
    decision = trial.decision
    service = service_reasons(trial.metrics, "confirmation")
    errors = not service and decision is not None and decision.met and not trial.met
    if errors:
        success = float(trial.metrics.get("successRate") or 0)
        service = [f"the success rate fell to {success:.1%}"]
    failed = bool(service) or (decision is not None and decision.outcome == "missed")
    if trial.met:
        f.slo_met, f.slo_decision = True, "met"
    elif failed or decision is None:
        f.slo_met, f.slo_decision = False, "missed"
    else:
        f.slo_met, f.slo_decision = None, "undecided"
    info.held = trial.met
    return [f"the recommendation did not hold: {r}" for r in service], failed


def _record(phase: SizingPhase, info: Confirmation, run: object, trial: Trial, rate: float) -> None:
    """The confirmation's figures: its load metrics, contention and throttling, the
    decision, and a ``sizing`` row."""
    f = phase.host.figures
    info.take_load_metrics(trial.metrics)
    phase_figures = run.sampler.phase_figures("confirmation")  # type: ignore[attr-defined]
    phase_figures.put_into(info)
    info.utilized_cpu = trial.utilized_cpu
    info.cold_start_seconds = round(run.ready_seconds, 3)  # type: ignore[attr-defined]
    if trial.decision is not None:
        info.decision = trial.decision.to_dict()
    if trial.met and rate > (f.max_queries_per_second_within_slo or 0.0):
        # the model's estimate stands below a rate this very run met the objective at
        f.max_queries_per_second_within_slo = round(rate, 3)
    f.recommendation_latency_in_ms = trial.value_ms
    f.sizing = [*(f.sizing or []), trial.to_row()]


def impossible(
    phase: SizingPhase, outcome: Outcome, objective: Objective, *, halted: bool = False
) -> None:
    """Nothing within the bound was shown to meet the objective, or the search stopped on a
    trial that could not be trusted (``halted``: then nothing was decided either way)."""
    f = phase.host.figures
    f.slo_met, f.slo_decision = (None, "undecided") if halted else (False, "missed")
    given = objective.source == "given"
    if given:
        f.recommended_cpu = f.recommended_memory_in_gb = None
    best = outcome.best()
    if best is not None and best.value_ms is not None:
        f.best_latency_in_ms = round(best.value_ms, 3)
        f.best_latency_by = f"{best.allocation.label} at {best.rate:.1f}/s ({best.phase})"
    if halted:
        why = (
            "the search stopped on a trial that could not be trusted, measured twice (see the "
            f"verdict): nothing was shown to meet {objective.label}"
        )
    elif given and f.best_latency_by is not None:
        why = (
            f"no allocation up to {phase.bound.label} was shown to meet {objective.label}: "
            f"the best p{objective.percentile} measured was {f.best_latency_in_ms:.1f} ms "
            f"({f.best_latency_by})"
        )
    else:
        why = f"no allocation tried was shown to meet {objective.label}"
    # Azure's callers always get a figure: without an objective of theirs the usage
    # measured at the bound stands, and the note says it is not sized
    then = (
        "no recommendation is given"
        if given
        else ("the recommendation is the usage measured at the bound, not a sizing")
    )
    f.sizing_note = f"{why}; {then}"
