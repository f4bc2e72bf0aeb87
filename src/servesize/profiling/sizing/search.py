"""The sizing search: the smallest allocation meeting a latency objective at a rate.

Pure logic: the procedure hands in ``measure(allocation, rate) -> Trial`` (an open-loop
run under exactly that allocation, decided by :mod:`.decision`: met, missed or
undecided) and the fitted :class:`ServiceModel`.  The model says where to measure;
only decided measurements answer.  An undecided trial is not a pass: what is
recommended was *shown* to meet the objective.

- With a target rate Q: start at the smallest allocation the model says meets the
  objective at Q; if it is met, step down until one is not; if it is not, step up until
  one is, past the allocations that would run as the last one did (it was decided
  missed with a quota that never ran out: more quota changes nothing).  When even the
  upper bound is not met at Q: replicas of the most efficient allocation (below), each
  carrying Q / N.
- Per replica (no Q): the allocation with the most requests/s within the objective per
  core (predicted; allocations within ``tie`` of the best go to the smaller), then the
  highest rate at which it is met, bracketed by trials until the lowest rate not met
  is within ``resolution`` of the highest met (out of the bracket, each step goes where
  the model refitted to the last trial's CPU per request puts that rate).  When
  another allocation's run (the measurement at the bound, a trial) was met at more
  requests/s per core than the chosen allocation was shown unable to carry (its lowest
  rate not met), measured beats predicted and that allocation and rate are the answer.

The procedure confirms the answer; when the confirmation decides a miss,
:meth:`Sizer.escalate` gives the next answer to confirm (a step up, or a rate a
``resolution`` lower), so what is recommended is always what was confirmed.
"""

from __future__ import annotations

import math
from typing import Any

from servesize.profiling.objective import Objective
from servesize.profiling.queueing import ServiceModel
from servesize.profiling.sizing.trials import Allocation, Measure, Outcome, Trial

__all__ = ["Sizer"]


class Sizer:
    def __init__(
        self,
        model: ServiceModel,
        objective: Objective,
        candidates: list[Allocation],
        measure: Measure,
        *,
        known: list[Trial] | None = None,
        max_trials: int = 8,
        tie: float = 0.10,
        resolution: float = 0.10,
        step: float = 0.25,
    ) -> None:
        self.model = model
        self.objective = objective
        self.candidates = candidates
        self._measure = measure
        self.trials: list[Trial] = list(known or [])
        self.max_trials = max_trials
        self.tie = tie
        self.resolution = resolution
        self.step = step
        self._spent = 0
        #: a trial could not be trusted: no more trials (see ``_trial``)
        self.halted = False

    def _predicted_ms(self, a: Allocation, rate: float) -> float:
        return self.model.percentile_ms(a.cores, a.workers, rate, self.objective.percentile)

    def _max_rate(self, a: Allocation) -> float:
        o = self.objective
        return self.model.max_rate(a.cores, a.workers, o.percentile, o.limit_ms)

    def predictions(self, rate: float | None) -> list[dict[str, Any]]:
        rows = []
        for a in self.candidates:
            within = self._max_rate(a)
            row: dict[str, Any] = {
                "cpu": a.cores,
                "workers": a.workers,
                "threads": a.threads,
                "maxQueriesPerSecondWithinSlo": round(within, 3),
                "source": "predicted",
            }
            if rate is not None:
                value = self._predicted_ms(a, rate)
                row["queriesPerSecond"] = round(rate, 3)
                row["objectiveLatencyInMs"] = round(value, 3) if math.isfinite(value) else None
                row["sloMet"] = value <= self.objective.limit_ms
            rows.append(row)
        return rows

    def _known(self, a: Allocation, rate: float) -> Trial | None:
        """The latest open-loop trial of ``a`` at ``rate`` that could be trusted (the
        measurement at the bound counts; when it could not be trusted, it is measured
        again as a trial)."""
        for t in reversed(self.trials):
            same = abs(t.rate - rate) <= 1e-6 * max(rate, 1.0)
            if t.allocation == a and same and not t.phase.startswith("capacity"):
                return None if t.untrusted else t
        return None

    def _trial(self, a: Allocation, rate: float) -> Trial | None:
        """The trial of ``a`` at ``rate`` (measured now unless known); None when the
        trials are spent, or once one could not be trusted even when measured again (a
        busy machine): such a trial must not steer the search, so the search ends with
        what it has, and the verdict says why."""
        trial = self._known(a, rate)
        if trial is None:
            if self._spent >= self.max_trials or self.halted:
                return None
            self._spent += 1
            trial = self._measure(a, rate)
            self.trials.append(trial)
        if trial.untrusted:
            self.halted = True
            return None
        return trial

    # -- with a target rate -----------------------------------------------------------

    def for_rate(self, rate: float) -> Outcome:
        predictions = self.predictions(rate)
        floor = self.model.cpu_per_query * rate  # below it the queue grows forever
        usable = [a for a in self.candidates if a.cores > floor] or self.candidates[-1:]
        limit = self.objective.limit_ms
        start = next(
            (i for i, a in enumerate(usable) if self._predicted_ms(a, rate) <= limit),
            len(usable) - 1,
        )
        passing: Allocation | None = None
        first = self._trial(usable[start], rate)
        if first is not None and first.met:
            passing = usable[start]
            for a in reversed(usable[:start]):
                trial = self._trial(a, rate)
                if trial is None or not trial.met:
                    break
                passing = a
        else:
            last = first
            for a in usable[start + 1 :]:
                if _runs_as(last, a):
                    continue
                trial = self._trial(a, rate)
                if trial is None:
                    break
                if trial.met:
                    passing = a
                    break
                last = trial
        if passing is not None:
            return Outcome(
                passing,
                1,
                rate,
                self._max_rate(passing),
                self.trials,
                predictions,
                f"the smallest allocation measured to meet {self.objective.label} at {rate:g}/s",
            )
        # one replica at the bound cannot carry the rate: replicas of the most efficient
        outcome = self.per_replica()
        outcome.predictions = predictions
        if outcome.allocation is None or not outcome.max_rate_within:
            return outcome
        replicas = max(1, math.ceil(rate / outcome.max_rate_within - 1e-9))
        outcome.replicas = replicas
        outcome.rate_per_replica = rate / replicas
        outcome.note = (
            f"one replica within the bound cannot meet {self.objective.label} at {rate:g}/s: "
            f"{replicas} replicas of {outcome.allocation.label}, each carrying "
            f"{rate / replicas:.1f}/s"
        )
        return outcome

    def escalate(self, outcome: Outcome, target: float | None) -> Outcome | None:
        """What to confirm after ``outcome``'s confirmation decided a miss: the next
        allocation up at the same rate while one replica carries the target; otherwise a
        rate per replica ``resolution`` lower (and, with a target, the replicas that
        takes).  None when nothing is left to try."""
        chosen = outcome.allocation
        if chosen is None:
            return None
        if target is not None and outcome.replicas == 1:
            bigger = [a for a in self.candidates if a.cores > chosen.cores + 1e-9]
            if bigger:
                step = bigger[0]
                return Outcome(
                    step, 1, target, self._max_rate(step), self.trials, outcome.predictions,
                    f"{chosen.label} missed {self.objective.label} at {target:g}/s in its "
                    f"confirmation; the next allocation up",
                )  # fmt: skip
        rate = outcome.rate_per_replica / (1.0 + self.resolution)
        if rate <= 0:
            return None
        replicas = max(1, math.ceil(target / rate - 1e-9)) if target else 1
        rate = target / replicas if target else rate
        return Outcome(
            chosen, replicas, rate, rate, self.trials, outcome.predictions,
            f"{chosen.label} missed {self.objective.label} at {outcome.rate_per_replica:.1f}/s "
            f"a replica in its confirmation; {rate:.1f}/s a replica"
            + (f", {replicas} replicas" if target else ""),
        )  # fmt: skip

    # -- per replica ------------------------------------------------------------------

    def per_replica(self) -> Outcome:
        rates = {a: self._max_rate(a) for a in self.candidates}
        efficiency = {a: r / a.cores for a, r in rates.items()}
        best = max(efficiency.values(), default=0.0)
        predictions = self.predictions(None)
        if best > 0:
            chosen = next(a for a in self.candidates if efficiency[a] >= best * (1 - self.tie))
            rate = rates[chosen]
        elif any(t.met for t in self.trials):
            # the model says never, a measurement said yes: measure upwards from low load
            chosen = self.candidates[-1]
            rate = self.model.capacity(chosen.cores, chosen.workers) * 0.1
        else:
            return Outcome(
                None,
                trials=self.trials,
                predictions=predictions,
                note=f"no allocation up to the bound is predicted to meet "
                f"{self.objective.label} at any rate, and none measured did",
            )
        highest, lowest_not = self._bracket(chosen, rate)
        top = self._best_measured(besides=chosen)
        if top is not None:
            top = self._reach(top)
        # measured beats predicted, decided both ways: the other allocation was met at more
        # requests/s per core than the chosen one was shown unable to carry
        beaten = top is not None and (
            highest is None
            or (
                lowest_not is not None
                and top.rate / top.allocation.cores > lowest_not / chosen.cores
            )
        )
        if beaten and top is not None:
            note = (
                f"the most requests/s within {self.objective.label} per core, as measured: "
                f"{top.allocation.label}, {top.rate:.1f}/s a replica ({top.phase}); the "
                f"model's choice, {chosen.label}, "
                + (
                    f"was not met at {lowest_not:.1f}/s"
                    if lowest_not is not None and highest is not None
                    else "was met at no rate tried"
                )
            )
            chosen, highest = top.allocation, top.rate
        elif highest is not None:
            bracket = (
                f", not met at {lowest_not:.1f}/s"
                if lowest_not is not None
                else ", the highest tried"
            )
            note = (
                f"the most requests/s within {self.objective.label} per core: {chosen.label}, "
                f"{highest:.1f}/s a replica (the highest rate met{bracket})"
            )
        if highest is None:
            return Outcome(
                None,
                trials=self.trials,
                predictions=predictions,
                note=f"no measured rate under {chosen.label} met {self.objective.label}",
            )
        return Outcome(chosen, 1, highest, highest, self.trials, predictions, note)

    def _bracket(self, chosen: Allocation, rate: float) -> tuple[float | None, float | None]:
        """The highest rate ``chosen`` was met at and the lowest it was not, measured until
        they are within ``resolution`` of each other (or the trials run out).  Steps of
        ``step`` out of the bracket; inside it where the refitted model says (or
        halfway, geometrically: :meth:`_inside`); below the
        completions of a run that fell behind (they bound the capacity)."""
        highest: float | None = None
        lowest_not: float | None = None
        while True:
            trial = self._trial(chosen, rate)
            if trial is None:
                break
            if trial.met:
                highest = rate if highest is None else max(highest, rate)
            else:
                lowest_not = rate if lowest_not is None else min(lowest_not, rate)
            if highest is not None and lowest_not is not None:
                if lowest_not <= highest * (1.0 + self.resolution) * (1.0 + 1e-9):
                    break
                rate = self._inside(trial, highest, lowest_not)
            elif highest is not None:
                rate = self._step_out(trial, highest, up=True)
            else:
                ceiling = rate
                if trial.fell_behind and trial.completed_rate > 0:
                    ceiling = min(rate, trial.completed_rate)
                rate = self._step_out(trial, ceiling, up=False)
        return highest, lowest_not

    def _step_out(self, trial: Trial, base: float, *, up: bool) -> float:
        """The next rate while the bracket is open on one side: where the model, refitted
        to the CPU a request burnt in ``trial``, puts the highest rate within the
        objective, kept between one ``resolution`` and one ``step`` from ``base`` (above
        a met, below a miss).  One resolution away, a trial that goes the other way
        closes the bracket; a fixed step of ``step`` took two more trials to close it
        whenever the model was within a resolution (the example's 78.2, 70.0 and 66.2
        q/s after a met at 62.6: 33 s of a 94 s profile)."""
        near = base * (1.0 + self.resolution) if up else base / (1.0 + self.resolution)
        far = base * (1.0 + self.step) if up else base * (1.0 - self.step)
        guided = self._refitted_max_rate(trial)
        if guided is None:
            return far
        return min(max(guided, near), far) if up else max(min(guided, near), far)

    def _inside(self, trial: Trial, met: float, missed: float) -> float:
        """The next rate inside the bracket: where the model refitted to ``trial`` puts
        the boundary, kept at least one ``resolution`` inside both ends (so that a trial
        that goes the way the model says closes the bracket); halfway (geometrically)
        when the bracket is too narrow for that, or there is no refit.  Halving took the
        example from a met at 40.8 q/s and a miss at 59.9 through 49.4, 54.4 and 57.1
        (three trials, 24 s of a 109 s profile)."""
        halfway = math.sqrt(met * missed)
        low, high = met * (1.0 + self.resolution), missed / (1.0 + self.resolution)
        guided = self._refitted_max_rate(trial)
        if guided is None or low >= high:
            return halfway
        return min(max(guided, low), high)

    def _refitted_max_rate(self, trial: Trial) -> float | None:
        """The highest rate within the objective at ``trial``'s allocation, predicted by
        the model with each request's work scaled to the CPU a request burnt in that
        trial (more than at the bound, where the model was fitted: 4.1 ms against 3.7 ms
        for the example at 0.3 cores and a third of the rate).  None when the trial has no
        CPU figure or the scale is implausible (a factor beyond 4 either way)."""
        done = trial.completed_rate
        used = trial.utilized_cpu
        per_query = self.model.cpu_per_query
        if not used or done <= 0 or per_query <= 0:
            return None
        factor = used / done / per_query
        if not 0.25 <= factor <= 4.0:
            return None
        a, o = trial.allocation, self.objective
        return self.model.at_speed(factor).max_rate(a.cores, a.workers, o.percentile, o.limit_ms)

    def _reach(self, top: Trial) -> Trial:
        """``top`` was met at a rate chosen for another purpose (the measurement runs at
        half the capacity): when the model puts its allocation's highest rate more than
        ``resolution`` above it, measure there once, so that measured beats predicted
        compares highest rates, not a highest rate with a sample."""
        predicted = self._max_rate(top.allocation)
        if not predicted > top.rate * (1.0 + self.resolution):
            return top
        trial = self._trial(top.allocation, predicted)
        return trial if trial is not None and trial.met else top

    def _best_measured(self, besides: Allocation) -> Trial | None:
        """The open-loop run of an allocation other than ``besides`` met with the most
        requests/s per core (not the closed-loop one-at-a-time step: its rate was not a
        schedule)."""
        met = [
            t
            for t in self.trials
            if t.met
            and t.source == "measured"
            and not t.phase.startswith("capacity")
            and t.allocation != besides
        ]
        return max(met, key=lambda t: t.rate / t.allocation.cores, default=None)


def _runs_as(trial: Trial | None, a: Allocation) -> bool:
    """``a`` would run as ``trial`` did, so measuring it cannot do better: the trial was
    decided missed under a quota that never ran out (no throttled period), and ``a``
    differs only by a larger quota (the same workers and threads).  CFS bandwidth
    control changes nothing until the quota runs out (the latency is the service's own:
    I/O, a sleep, queueing behind its workers).  An undecided trial is not passed over
    so: the next allocation's trial is more evidence, and may decide."""
    return (
        trial is not None
        and not trial.met
        and trial.decision is not None
        and trial.decision.outcome == "missed"
        and trial.throttled_share == 0.0
        and not trial.untrusted
        and a.cores > trial.allocation.cores
        and (a.workers, a.threads) == (trial.allocation.workers, trial.allocation.threads)
    )
