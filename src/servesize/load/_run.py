"""The entry points: ``run_load`` (blocking) and ``run_load_async`` (inside a loop)."""

from __future__ import annotations

import asyncio
import functools
from time import monotonic_ns

from servesize.errors import LoadGeneratorError
from servesize.load._engine import StopFlag
from servesize.load._multi import run_processes, shares
from servesize.load._recorder import Recorder
from servesize.load._result import LoadResult, WindowMerger, build_result, threshold_us
from servesize.load._sender import sending
from servesize.load._share import (
    Progress,
    loop_factory,
    raise_fd_limit,
    run_share,
    snapshot,
)
from servesize.load._spec import LoadSpec

__all__ = ["run_load", "run_load_async"]

#: The schedule starts this long after the connections are open: time to create the
#: pacer and arm the first timer, so the first request is not late by construction.
_START_LEAD_NS = 5_000_000


def run_load(
    spec: LoadSpec,
    *,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    finish: StopFlag | None = None,
) -> LoadResult:
    """Run ``spec`` to its stop rule (or until ``stop.is_set()``) and return the metrics.

    ``finish.is_set()`` ends the schedule early as if its duration had passed (the
    minimum query count waived): the requests in flight end and count, and the backlog
    at the schedule's end is recorded, as at a normal end; ``stop`` halts at once.

    Blocking; call it from a thread without a running event loop (use
    :func:`run_load_async` inside one).  An open loop sends at real-time priority where
    the system allows it (``metrics["senderRealtime"]`` says whether every sender did;
    see ``_sender``), with the garbage collector paused.  A server that refuses, resets
    or times out gives error results, not exceptions.

    >>> spec = LoadSpec("http://127.0.0.1:5001/score", [b"{}"], rate=100, duration=10)
    >>> result = run_load(spec)  # doctest: +SKIP
    >>> result.metrics["latencyPercentile99InMs"]  # doctest: +SKIP
    """
    if spec.processes > 1 or spec.isolated:
        return run_processes(spec, progress, stop, finish)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise LoadGeneratorError("run_load blocks: inside an event loop await run_load_async")
    with sending(spec.open_loop) as realtime, asyncio.Runner(loop_factory=loop_factory()) as runner:
        result = runner.run(run_load_async(spec, progress=progress, stop=stop, finish=finish))
    result.metrics["senderRealtime"] = realtime
    return result


async def run_load_async(
    spec: LoadSpec,
    *,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    finish: StopFlag | None = None,
) -> LoadResult:
    """:func:`run_load` for callers already inside an event loop (whose thread it leaves
    at its priority: ``senderRealtime`` is False, see ``_sender``).

    With ``processes > 1`` (or ``isolated``) the processes are driven from a worker thread.
    """
    if spec.processes > 1 or spec.isolated:
        loop = asyncio.get_running_loop()
        call = functools.partial(run_processes, spec, progress, stop, finish)
        return await loop.run_in_executor(None, call)
    raise_fd_limit()
    merger = WindowMerger(1, threshold_us(spec.threshold_ms))
    clock = [0, 0]  # begin and measurement start (ns), known once connections are open

    async def start() -> int:
        clock[0] = monotonic_ns() + _START_LEAD_NS
        clock[1] = clock[0] + int(spec.warmup * 1e9)
        return clock[0]

    def on_second(rec: Recorder) -> None:
        if progress is not None:
            progress(snapshot(clock[0], clock[1], merger.rows, rec.totals))

    share = shares(spec, 1)[0]
    totals, end = await run_share(spec, share, start, merger.add, stop, on_second, finish)
    merger.flush()
    return build_result(
        [totals],
        merger.rows,
        requested_rate=spec.requested_rate,
        measure_start_ns=clock[1],
        end_ns=end,
        threshold_ms=spec.threshold_ms,
    )
