"""The load generator: open-loop or closed-loop HTTP/1.1 load with exact latency metrics.

Pipeline: a pacer (constant or Poisson schedule, or a fixed concurrency) drives a
sender of pre-encoded keep-alive requests; every request becomes one result
(due, sent and completion times, status or error kind, bytes) folded into exact
histograms; metrics are computed once at close.  Latency counts from the *due*
time, so a stalled server cannot hide its stall (coordinated omission)::

    from servesize.load import LoadSpec, run_load

    result = run_load(LoadSpec("http://127.0.0.1:5001/score", [b'{"x": 1}'],
                               rate=200, arrival="poisson", duration=30, warmup=5))
    print(result.metrics["latencyPercentile99InMs"])

A traffic trace (``read_trace``: arrival times, a CSV timestamp column or per-interval
counts) replays open loop at its own send times with ``LoadSpec(schedule=...)``.
"""

from servesize.load._histogram import Histogram
from servesize.load._result import LoadResult
from servesize.load._run import run_load, run_load_async
from servesize.load._share import Progress
from servesize.load._spec import Arrival, LoadSpec, parse_duration
from servesize.load._trace import Trace, TraceSummary, split
from servesize.load._trace_read import read_trace

__all__ = [
    "Arrival",
    "Histogram",
    "LoadResult",
    "LoadSpec",
    "Progress",
    "Trace",
    "TraceSummary",
    "parse_duration",
    "read_trace",
    "run_load",
    "run_load_async",
    "split",
]
