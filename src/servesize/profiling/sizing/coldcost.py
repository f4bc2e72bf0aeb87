"""What a request costs after the service idled: measured once a profile, for plans.

A request that starts while the service is busy finds its caches (and the CPU's clock
and branch predictors) warm; one that starts after an idle gap does not. On the
bundled example a request burnt 3.4-3.5 ms of CPU back to back and 4.5-5.1 ms after
100 ms of idle, half of that extra after about 20-30 ms (bench/hot_cold.py). Under a
small quota this decides the tail at low rates: a burst's first request drains the
quota by its cold cost, the rest by their warm one, and the queueing model that
charged every request the mean throttled bursts the kernel let through
(bench/quota_burst.py, docs/planning.md).

The step runs at the bound, before the search, on the running service: four short
runs of one row (the phase sends the dataset's median by size) on one keep-alive
connection, from this process (the gaps need not be exact, only known): back to back
(closed loop, one in flight), lone requests after ``LONE_IDLE`` of idle, lone requests
after ``MID_IDLE``, and back to back again. The service's CPU (the cgroup's, to the
nanosecond) over each run, per request, gives:

- ``coldExtra`` = lone / back-to-back - 1 (the idle gap long enough to be cold);
- ``coolInMs``: the time constant ``tau`` of ``1 - exp(-idle / tau)`` through the
  middle gap's share of that extra.

Read as :class:`ServiceModel`'s ``cold_extra`` and ``cool_seconds`` by plans
(``ServiceModel.from_details``); the sizing search's model does not use them (its
figures are calibrated on runs near the allocation's capacity, where requests queue
and run warm).  Measured only where it can be trusted: a cgroup's CPU accounting (a
process tree's, in 10 ms ticks, cannot resolve a few ms a request), a request's mean
service time at most ``MAX_SERVICE`` (beyond that a few ms of cold cost is a few
percent, and the lone runs would take long), and the two back-to-back runs within
``MAX_DRIFT`` of each other (else the host's speed moved during the step, as it
does in a slow spell, and the difference would be the host's, not the service's).
Otherwise the figures are null (every request the same, as before), with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "LONE_IDLE",
    "MAX_DRIFT",
    "MAX_SERVICE",
    "MID_IDLE",
    "ColdCost",
    "fit_cold",
    "measure",
    "schedule",
]

#: idle before a lone request: several times the example's 20-40 ms to cool down
LONE_IDLE = 0.1
#: idle before a request of the middle run: about the example's half-cooled gap
MID_IDLE = 0.025
#: lone requests, and the most in the middle run (it lasts about a second)
LONE_REQUESTS = 12
MID_REQUESTS = 30
#: seconds of each back-to-back run
HOT_SECONDS = 0.5
#: mean service times above this are not measured (seconds)
MAX_SERVICE = 0.1
#: the two back-to-back runs' CPU a request may differ by this share at most
MAX_DRIFT = 0.15
#: an extra below this is not told apart from the runs' noise: none
MIN_EXTRA = 0.05
#: the most extra believed: a few lone requests' CPU can take in the service's own
#: background work or a neighbour's burst. A fast service can be that dear alone: a
#: 0.18 ms LightGBM request measured at 3x (the wake-up's fixed cost; bench/RESULTS-zoo.md)
MAX_EXTRA = 2.0


def schedule(count: int, idle: float, service: float) -> list[float]:
    """Send times (s from the run's start) of ``count`` lone requests, each ``idle``
    after the previous one ends (at ``service`` s a request)."""
    period = idle + service
    return [round(i * period, 6) for i in range(count)]


def fit_cold(
    hot: float, lone: float, lone_idle: float, mid: float, mid_idle: float
) -> tuple[float, float]:
    """``(cold_extra, cool_seconds)`` from the CPU a request burnt back to back
    (``hot``), after ``lone_idle`` s of idle (``lone``) and after ``mid_idle``
    (``mid``); ``(0, 0)`` when the lone requests cost less than ``MIN_EXTRA`` more.

    ``lone`` is taken as fully cold (``lone_idle`` several time constants long), the
    extra capped at ``MAX_EXTRA``; the middle run's share of it, held within 5-95%
    (a middle run at or past either end says only that the time constant is short or
    long against ``mid_idle``), gives ``tau = -mid_idle / ln(1 - share)``.
    """
    if hot <= 0 or lone <= 0 or mid <= 0 or lone_idle <= 0 or mid_idle <= 0:
        return 0.0, 0.0
    extra = min(lone / hot - 1.0, MAX_EXTRA)
    if extra < MIN_EXTRA:
        return 0.0, 0.0
    share = min(max((mid / hot - 1.0) / extra, 0.05), 0.95)
    return extra, -mid_idle / math.log(1.0 - share)


@dataclass(frozen=True)
class ColdCost:
    """The step's measurements (CPU seconds a request, idle seconds before one) and
    what was fitted from them; ``reason`` says why nothing was fitted."""

    hot: float | None = None
    hot_after: float | None = None
    lone: float | None = None
    lone_idle: float | None = None
    mid: float | None = None
    mid_idle: float | None = None
    reason: str | None = None

    @property
    def fitted(self) -> tuple[float, float]:
        """``(cold_extra, cool_seconds)``; ``(0, 0)`` when not measured or not trusted."""
        hot, after, lone, mid = self.hot, self.hot_after, self.lone, self.mid
        lone_idle, mid_idle = self.lone_idle, self.mid_idle
        if self.reason is not None or hot is None or after is None or lone is None:
            return 0.0, 0.0
        if mid is None or lone_idle is None or mid_idle is None:
            return 0.0, 0.0
        return fit_cold((hot + after) / 2, lone, lone_idle, mid, mid_idle)

    def checked(self) -> ColdCost:
        """Itself, with ``reason`` set when the two back-to-back runs drifted apart."""
        if self.reason is not None or not self.hot or not self.hot_after:
            return self
        drift = abs(self.hot - self.hot_after) / min(self.hot, self.hot_after)
        if drift <= MAX_DRIFT:
            return self
        return replace(
            self,
            reason=f"the CPU a request burnt back to back moved {drift:.0%} during the step "
            f"(more than {MAX_DRIFT:.0%}): the host's speed changed",
        )

    def to_details(self) -> dict[str, Any]:
        """``sizingModel.coldCost``: the measurements in ms."""

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000.0, 4)

        return {
            "backToBackCpuMs": ms(self.hot),
            "backToBackAfterCpuMs": ms(self.hot_after),
            "loneCpuMs": ms(self.lone),
            "loneIdleMs": ms(self.lone_idle),
            "midCpuMs": ms(self.mid),
            "midIdleMs": ms(self.mid_idle),
            "reason": self.reason,
        }


#: one run of the step: the load's spec -> (CPU seconds the service burnt, requests
#: answered, their mean latency in s)
RunOnce = Callable[[dict[str, Any]], tuple[float, int, float]]


def measure(run_once: RunOnce, service: float, precise: bool) -> ColdCost:
    """The step (module doc) on a service of ``service`` s a request one at a time;
    ``precise``: its CPU is read from a cgroup."""
    if not precise:
        return ColdCost(reason="the service's CPU is not read from a cgroup")
    if service > MAX_SERVICE:
        return ColdCost(
            reason=f"a request takes {service * 1000:.0f} ms (more than "
            f"{MAX_SERVICE * 1000:.0f} ms: a cold cache is a small part of it)"
        )

    def per_request(spec: dict[str, Any]) -> tuple[float | None, float]:
        used, answered, latency = run_once(spec)
        return (used / answered if answered and used > 0 else None), latency

    hot, latency = per_request({"concurrency": 1, "duration": HOT_SECONDS})
    served = max(latency, service)
    lone, lone_latency = per_request({"schedule": schedule(LONE_REQUESTS, LONE_IDLE, served)})
    mid_count = max(10, min(MID_REQUESTS, int(1.0 / (MID_IDLE + served))))
    mid, mid_latency = per_request({"schedule": schedule(mid_count, MID_IDLE, served)})
    hot_after, _ = per_request({"concurrency": 1, "duration": HOT_SECONDS})
    # the idle a request found: the period less the previous request's time in service
    lone_idle = max(LONE_IDLE + served - lone_latency, 0.0)
    mid_idle = max(MID_IDLE + served - mid_latency, 0.0)
    return ColdCost(hot, hot_after, lone, lone_idle, mid, mid_idle).checked()
