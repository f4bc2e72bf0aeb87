"""The recommendation from usage (after Kubernetes VPA) and its confirmation: what a
profile gives when it cannot size (no enforceable limits, ``sizing=false``, a running
service) or when the default objective was out of reach (docs/profiling.md, step 8)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from servesize.errors import ServiceError
from servesize.load import LoadResult
from servesize.profiling._attached import not_measured
from servesize.profiling.recommend import Recommendation, recommend
from servesize.profiling.sampler import Sampler
from servesize.profiling.settings import GIB, ProfileSettings
from servesize.profiling.sizing.trials import Allocation, allocation_for
from servesize.profiling.verdict import judge_run
from servesize.workspace import Confirmation, Figures

__all__ = ["UsageRecommendation"]


class _Host(Protocol):
    settings: ProfileSettings
    figures: Figures
    attached: bool

    def _start_allocation(self, phase: str, alloc: Allocation, memory: int | None) -> Any: ...

    def _load(self, phase: str, run: Any, *, expected: float, **spec: Any) -> LoadResult: ...

    def _runs_list(self) -> list[Any]: ...


@dataclass
class UsageRecommendation:
    host: _Host
    #: why the recommendation was capped at the bound (None: it was not)
    capped: str | None = None

    def recommend(self, sampler: Sampler) -> Recommendation:
        """The ``cpu_percentile`` of per-second CPU and the peak memory, plus the margin;
        capped at the bound when the service took all it was given."""
        f, s = self.host.figures, self.host.settings
        per_second = sampler.per_second("measurement")
        if per_second:
            f.max_utilized_cpu = round(max(per_second), 4)
        peak = sampler.peak_memory_bytes
        f.max_utilized_memory_in_gb = round(peak / GIB, 4)
        rec = recommend(per_second, peak, s)
        bound = f.requested_cpu
        if bound and f.limits_enforced and rec.cpu > bound:
            # the usage plus its margin is past the bound: the service took all it was
            # given, so the bound is the most that was measured to be enough; say so
            rec = replace(rec, cpu=bound)
            self.capped = (
                f"the service used all of the {bound:g} cores it was given (with the "
                f"{s.safety_margin:.0%} margin it would ask for more): the "
                "usage-based recommendation is capped at that bound; profile with a higher "
                "--cc to see how much more it would use"
            )
        f.recommended_cpu = rec.cpu
        f.recommended_memory_in_gb = rec.memory_gb
        return rec

    def note_cap(self) -> None:
        """Add why the recommendation stopped at the bound, if it did."""
        f = self.host.figures
        if self.capped:
            f.sizing_note = f"{f.sizing_note}; {self.capped}" if f.sizing_note else self.capped

    def confirm(self, rec: Recommendation, rate: float) -> list[str]:
        """Re-run under the recommended limits; return the verdict's reasons."""
        host = self.host
        s, f = host.settings, host.figures
        self.note_cap()
        if not s.confirm:
            return []
        if host.attached:
            f.confirmation = Confirmation(skipped=not_measured(True)["requestedCpu"])
            return []
        if not f.limits_enforced:
            f.confirmation = Confirmation(
                skipped="limits cannot be enforced on this machine, so the recommended "
                "limits could not be tried"
            )
            return []
        info = Confirmation(requested_cpu=rec.cpu, requested_memory_in_gb=rec.memory_gb)
        f.confirmation = info
        try:
            alloc = allocation_for(rec.cpu, s.workers)
            run = host._start_allocation("confirmation", alloc, int(rec.memory_gb * GIB))
            result = host._load(
                "confirmation",
                run,
                expected=s.confirm_duration,
                rate=rate,
                arrival=s.arrival,
                duration=s.confirm_duration,
            )
        except ServiceError as exc:
            info.held = False
            oom = " (OOM-killed)" if host._runs_list()[-1].service.oom_killed else ""
            info.error = f"{exc}{oom}"
            return [
                "the recommendation did not hold: the service did not run under the "
                f"recommended limits{oom}: {exc}"
            ]
        m = result.metrics
        info.take_load_metrics(m)
        figures = run.sampler.phase_figures("confirmation")
        figures.put_into(info)
        info.cold_start_seconds = round(run.ready_seconds, 3)
        f.recommendation_latency_in_ms = info.latency_percentile90_in_ms
        reasons = judge_run(
            m, settings=s, min_duration=s.confirm_duration, figures=figures, phase="confirmation"
        )
        # success depends on the rows, sent round-robin in both runs: the same data
        # must succeed as often under the recommended limits, up to a partial cycle
        success = float(info.success_rate or 0)
        if success < float(f.success_rate or 0) - s.error_slack:
            reasons.append(f"under the recommended limits the success rate fell to {success:.1%}")
        info.held = not reasons
        return [f"the recommendation did not hold: {r}" for r in reasons]
