"""The one decision: did a run meet ``pXX <= L``?  Met, missed or undecided, at a stated
confidence, from the count of requests over L.

A percentile objective is a statement about a share: ``p99 <= L`` holds when at most
``tail = 1%`` of requests take longer than L.  A run of n requests of which k took
longer is a sample of that share, and a short run's nearest-rank p99 rests on its three
slowest requests (a 300-request trial "meets" p99 whenever k <= 3, which a service with
1.5% of its requests over L does one time in three).  So a run is judged as a test of
the share ``theta`` of requests over L, not by its percentile:

- **Indifference zone.**  ``theta_met < tail < theta_missed`` with
  ``odds(theta_met) = odds(tail) / f`` and ``odds(theta_missed) = odds(tail) x f``
  (``f`` = the ``indifference`` setting, 2 by default: 0.50% and 1.98% around p99's 1%,
  5.3% and 18% around p90's 10%, a third and two thirds around p50's half).  A service
  at or below ``theta_met`` must be called met, at or above ``theta_missed`` missed;
  between the two either answer is acceptable, and telling them apart would take
  ever longer runs (at ``theta = tail`` exactly, forever).  Odds rather than shares so
  that the zone stays inside (0, 1) for every percentile.
- **Wald's sequential probability ratio test** of ``theta_met`` against
  ``theta_missed``, with both error rates ``1 - confidence`` (0.05 by default): each
  request adds ``ln(theta_missed / theta_met)`` to the log likelihood ratio when it is
  over L and ``ln((1 - theta_missed) / (1 - theta_met))`` when it is not; the run is
  *missed* once the ratio reaches ``ln(confidence / (1 - confidence))``, *met* once
  it falls to its negative, and *undecided* in between.  For p99 at the defaults,
  met needs 197 requests with none over L, 93 more for each one over; three over L
  in the first 81 requests is a decided miss.  A run is looked at as it goes (the
  procedure asks once a second) and stops as soon as it is decided, up to a cap;
  looking between requests only makes the test more conservative.  An undecided end
  is reported as undecided, never as met.
- **Clustered exceedances.**  Requests are not independent when the kernel throttles a
  quota for the rest of a 100 ms period or a burst of arrivals queues: the slow ones
  come together.  The dispersion ``D`` of the counts over L across the run's 1 s
  windows (Pearson's chi-square over its degrees of freedom; about 1 for independent
  requests) measures it, and the test uses ``n / D`` and ``k / D``: a run whose slow
  requests came in bursts counts as fewer independent observations
  (the design effect of cluster sampling).  ``D`` is never taken below 1.
- **Runs as long as the queue's memory.**  Near saturation a queue's slow spells last
  longer than any 1 s window: a busy period at 84% of capacity lasts seconds, and a
  19 s run at 0.5 cores of a 10 ms-a-request service was called met with 1 of 704 over
  the limit where 60 s runs measure 4.1% over (bench/RESULTS-sizing.md).  Clustering
  that no window of the run spans cannot be estimated from it, so a met needs a run of
  at least ``relaxation_runs`` (10) relaxation times of the fitted queue,
  ``1 / (capacity x (1 - sqrt(rho))^2)`` at utilisation ``rho`` (the M/M/1 queue's
  relaxation time; 3 s there, so 30 s, and 0.7 s at 0.6 cores); shorter, a met count
  is undecided.  A miss needs no such length: slow requests already seen are evidence.

The operating characteristic (the share of runs called met at each true share over L)
is checked by simulation in tests/profiling/test_decision.py and measured on real
services in bench/RESULTS-decision.md; docs/profiling.md derives the defaults.

>>> design = Design.of("99", confidence=0.95, indifference=2.0)
>>> decide(0, 197, design).outcome, decide(0, 196, design).outcome
('met', 'undecided')
>>> decide(3, 81, design).outcome
'missed'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Decision", "Design", "Outcome", "decide", "dispersion", "operating_characteristic"]

Outcome = Literal["met", "missed", "undecided"]


def _odds(p: float) -> float:
    return p / (1.0 - p)


def _share(odds: float) -> float:
    return odds / (1.0 + odds)


@dataclass(frozen=True)
class Design:
    """The test for one percentile at one confidence and indifference zone."""

    tail: float  # the share of requests allowed over L (0.01 for p99)
    confidence: float
    indifference: float

    @classmethod
    def of(cls, percentile: str, *, confidence: float, indifference: float) -> Design:
        return cls(1.0 - float(percentile) / 100.0, confidence, indifference)

    @property
    def theta_met(self) -> float:
        """The share over L at (and below) which a run must be called met."""
        return _share(_odds(self.tail) / self.indifference)

    @property
    def theta_missed(self) -> float:
        """The share over L at (and above) which a run must be called missed."""
        return _share(_odds(self.tail) * self.indifference)

    @property
    def over(self) -> float:
        """What one request over L adds to the log likelihood ratio (> 0)."""
        return math.log(self.theta_missed / self.theta_met)

    @property
    def under(self) -> float:
        """What one request within L adds (< 0)."""
        return math.log((1.0 - self.theta_missed) / (1.0 - self.theta_met))

    @property
    def bound(self) -> float:
        """Wald's boundary: missed at ``+bound``, met at ``-bound`` (alpha = beta)."""
        return math.log(self.confidence / (1.0 - self.confidence))

    def llr(self, over: float, n: float) -> float:
        return over * self.over + (n - over) * self.under

    def requests_to_meet(self, over: float, n: float) -> int:
        """How many more requests, none over L, would call this run met (0 if it is)."""
        needed = over + (-self.bound - over * self.over) / self.under
        return max(0, math.ceil(needed - n - 1e-9))


@dataclass(frozen=True)
class Decision:
    """The judgement of one run: ``outcome`` from ``over`` of ``n`` requests, deflated by
    ``dispersion`` (see the module doc)."""

    outcome: Outcome
    n: int
    over: int
    dispersion: float
    llr: float
    confidence: float
    #: undecided: requests needed, none over L, to call it met (LoadGen's "more queries")
    more_to_meet: int = 0
    #: a met that this run was too short to call: the seconds it needed (see ``decide``)
    needed_seconds: float = 0.0

    @property
    def met(self) -> bool:
        return self.outcome == "met"

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.outcome,
            "n": self.n,
            "overLimit": self.over,
            "dispersion": round(self.dispersion, 3),
            "logLikelihoodRatio": round(self.llr, 3),
            "confidence": self.confidence,
            **({"neededSeconds": round(self.needed_seconds, 1)} if self.needed_seconds else {}),
        }

    def describe(self) -> str:
        d = f", dispersion {self.dispersion:.2f}" if self.dispersion > 1.0 else ""
        what = f"{self.over} of {self.n} over the limit{d}"
        if self.outcome == "undecided" and self.needed_seconds:
            return (
                f"undecided: {what}, met by the count but over a run shorter than the "
                f"{self.needed_seconds:.0f} s the queue needs (its relaxation time x the "
                "relaxation_runs setting)"
            )
        if self.outcome == "undecided":
            return f"undecided: {what} ({self.more_to_meet} more within it would decide met)"
        return f"{self.outcome} at {self.confidence:.0%} confidence: {what}"


def decide(
    over: int,
    n: int,
    design: Design,
    windows: Sequence[tuple[int, int]] = (),
    *,
    seconds: float | None = None,
    needed_seconds: float = 0.0,
) -> Decision:
    """Judge ``over`` of ``n`` requests over the limit; ``windows`` are the run's
    ``(requests, over)`` per 1 s window, from which the clustering is estimated.  A run
    of ``seconds`` shorter than ``needed_seconds`` is never called met (undecided
    instead): near saturation a queue's slow spells last longer than its 1 s windows,
    and a short run may hold none of them (see the module doc)."""
    d = dispersion(windows)
    eff_over, eff_n = over / d, n / d
    llr = design.llr(eff_over, eff_n)
    outcome: Outcome = "undecided"
    if llr >= design.bound:
        outcome = "missed"
    elif llr <= -design.bound:
        outcome = "met"
    if outcome == "met" and seconds is not None and seconds < needed_seconds:
        return Decision("undecided", n, over, d, llr, design.confidence, 0, needed_seconds)
    more = 0
    if outcome == "undecided":
        # the next requests are deflated as these were
        more = math.ceil(design.requests_to_meet(eff_over, eff_n) * d)
    return Decision(outcome, n, over, d, llr, design.confidence, more)


def dispersion(windows: Sequence[tuple[int, int]]) -> float:
    """Pearson's chi-square of the counts over the limit across windows, over its degrees
    of freedom: ~1 when requests are over independently, more when they cluster.
    At least 1; 1 when there is nothing to estimate it from."""
    rows = [(n, k) for n, k in windows if n > 0]
    total = sum(n for n, _ in rows)
    over = sum(k for _, k in rows)
    if len(rows) < 2 or over == 0 or over == total:
        return 1.0
    p = over / total
    chi2 = sum((k - n * p) ** 2 / (n * p * (1.0 - p)) for n, k in rows)
    return max(1.0, chi2 / (len(rows) - 1))


def operating_characteristic(theta: float, design: Design) -> float:
    """Wald's approximation of the probability that an untruncated test calls a service
    with ``theta`` of its requests over L met (for the docs; tests simulate the real
    thing): ``(A^h - 1) / (A^h - B^h)`` where ``h`` solves
    ``theta (p1/p0)^h + (1 - theta) ((1 - p1)/(1 - p0))^h = 1``."""
    a, b = design.over, design.under
    drift = theta * a + (1.0 - theta) * b
    if abs(drift) < 1e-12:
        return 0.5  # symmetric boundaries, no drift
    lo, hi = (1e-9, 50.0) if drift < 0 else (-50.0, -1e-9)

    def f(h: float) -> float:
        return theta * math.exp(h * a) + (1.0 - theta) * math.exp(h * b) - 1.0

    for _ in range(200):  # bisection: f has one root of the sign opposite to the drift
        mid = (lo + hi) / 2
        if (f(mid) > 0) == (drift < 0):
            hi = mid
        else:
            lo = mid
    h = (lo + hi) / 2
    big = math.exp(h * design.bound)  # A^h, with B = 1/A
    return (big - 1.0) / (big - 1.0 / big)
