"""How many keep-alive connections the open loop holds open before it needs them.

A due request must never wait for a connect that could have been made earlier (wrk2
opens its connections before its clock starts).  So the engine keeps connections
open ahead of need, off the critical path, sized from what it observes:

* **spare** idle connections, refilled in the background whenever one is taken:
  a request waits for a connect only if more than ``spare`` requests arrive within
  one connect time.  Arrivals in a time ``T`` number about ``rate * T`` (Poisson),
  so ``spare`` is that mean plus four standard deviations, and at least two.
* a **pool** of open connections covering the requests in flight: by Little's law
  ``L = rate * latency`` are in flight on average; the pool holds that plus four
  standard deviations (Poisson again) plus the spares, so bursts find connections.
  The engine approaches it by at most ``spare`` connects per 50 ms sweep: against a
  service falling behind, latency and so the pool grow fast, and a burst of hundreds
  of connects in one loop iteration would itself make sends late.

Connect time and latency are smoothed averages the engine keeps as it runs; before
the first observation the connect time is taken as 1 ms and the latency as 0.
"""

from __future__ import annotations

import math

__all__ = ["CONNECT_FLOOR_S", "pool_size", "spare_connections"]

#: Connect time assumed at least this long: loopback connects take ~0.1 ms, but the
#: loop that completes them can be busy for about a millisecond.
CONNECT_FLOOR_S = 0.001
_MIN_SPARE = 2
_DEVIATIONS = 4.0


def _poisson_high(mean: float) -> int:
    """A count of a Poisson variable of ``mean`` rarely exceeded (mean + 4 sd)."""
    return math.ceil(mean + _DEVIATIONS * math.sqrt(mean)) if mean > 0 else 0


def spare_connections(rate: float, connect_s: float) -> int:
    """Idle connections to keep ready at ``rate`` req/s when a connect takes ``connect_s``.

    >>> spare_connections(40, 0.0002), spare_connections(100_000, 0.0002)
    (2, 140)
    """
    return max(_MIN_SPARE, _poisson_high(rate * max(connect_s, CONNECT_FLOOR_S)))


def pool_size(rate: float, latency_s: float, connect_s: float, cap: int) -> int:
    """Connections to hold open: the requests in flight (rate x latency) and the spares.

    >>> pool_size(40, 0.025, 0.0002, 1024), pool_size(40, 0.0, 0.0002, 1024)
    (7, 2)
    """
    in_flight = _poisson_high(rate * max(latency_s, 0.0))
    return min(cap, in_flight + spare_connections(rate, connect_s))
