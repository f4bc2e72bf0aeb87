"""A simulated service with a known truth, for the search's outcome tests.

Its true share of requests over the limit at an allocation and a rate comes from the
queueing model (10 ms of CPU a request, by default), or from ``truth`` when the model
the search is given is off (a service slower than its model); a trial draws each 1 s window's
count over the limit from that share and is decided as the procedure decides a real
run (``decide`` once a second, from the trial's minimum to its cap).  So the tests count
how often the search answers right, not which constants it used.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from servesize.profiling.objective import Objective
from servesize.profiling.queueing import ServiceModel
from servesize.profiling.sizing.decision import Design, decide
from servesize.profiling.sizing.trials import Allocation, Trial


class SimulatedService:
    def __init__(
        self,
        model: ServiceModel,
        objective: Objective,
        *,
        seed: int = 0,
        least: int = 5,
        most: int = 30,
        design: Design | None = None,
        truth: ServiceModel | None = None,
    ) -> None:
        self.model = model
        self.truth = truth or model
        self.objective = objective
        self.rng = np.random.default_rng(seed)
        self.least, self.most = least, most
        self.design = design or Design.of(objective.percentile, confidence=0.95, indifference=2.0)
        self.calls: list[tuple[float, float]] = []
        #: seconds of load the trials took, all told
        self.seconds = 0

    def share_over(self, a: Allocation, rate: float) -> float:
        """The truth: the share of requests over the limit (1 past the capacity)."""
        if rate >= self.truth.capacity(a.cores, a.workers) * 0.999:
            return 1.0
        latencies = self.truth.latencies(a.cores, a.workers, rate)
        return float(np.mean(latencies * 1000.0 > self.objective.limit_ms))

    def __call__(self, a: Allocation, rate: float) -> Trial:
        self.calls.append((a.cores, rate))
        theta = self.share_over(a, rate)
        per_second = max(1, round(rate))
        counts: list[tuple[int, int]] = []
        for second in range(1, self.most + 1):
            counts.append((per_second, int(self.rng.binomial(per_second, theta))))
            if second >= self.least:
                n, over = sum(c[0] for c in counts), sum(c[1] for c in counts)
                if decide(over, n, self.design, counts).outcome != "undecided":
                    break
        self.seconds += len(counts)
        n, over = sum(c[0] for c in counts), sum(c[1] for c in counts)
        decision = decide(over, n, self.design, counts)
        overloaded = theta >= 1.0
        done = min(rate, self.truth.capacity(a.cores, a.workers)) if overloaded else rate
        metrics: dict[str, Any] = {
            "totalQueries": n,
            "queriesOverThreshold": over,
            "measuredQueriesPerSecond": done,
        }
        return Trial(
            a,
            rate,
            None,
            decision.met,
            metrics,
            # the CPU the truth burns, as the cgroup's counter would show it
            utilized_cpu=self.truth.cpu_per_query * done,
            decision=decision,
            fell_behind=overloaded,
        )

    def boundary(self, a: Allocation, theta: float) -> float:
        """The highest rate (within 0.5%) whose true share over the limit is <= theta."""
        low, high = 0.0, self.truth.capacity(a.cores, a.workers)
        if not math.isfinite(high):
            return math.inf
        for _ in range(40):
            middle = (low + high) / 2
            if self.share_over(a, middle) <= theta:
                low = middle
            else:
                high = middle
            if high - low < 0.005 * high:
                break
        return low
