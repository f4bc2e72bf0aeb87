"""The entry points: ``run_load`` (blocking) and ``run_load_async`` (inside a loop)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import resource
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic_ns
from typing import Any

from servesize.errors import LoadGeneratorError
from servesize.load._client import encode_requests, parse_target
from servesize.load._engine import Engine, StopFlag
from servesize.load._pacer import make_pacer
from servesize.load._recorder import Recorder, Totals, WindowPart
from servesize.load._result import LoadResult, WindowMerger, build_result
from servesize.load._spec import LoadSpec

__all__ = [
    "Progress",
    "Share",
    "loop_factory",
    "raise_fd_limit",
    "run_load",
    "run_load_async",
    "run_share",
    "snapshot",
]

#: Called about once a second with a small dict (see :func:`snapshot`).
Progress = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Share:
    """One process's part of a run: its rate or concurrency, count and schedule offset."""

    rate: float | None
    concurrency: int
    min_queries: int | None
    offset_ns: int = 0
    seed: int | None = None


def run_load(
    spec: LoadSpec, *, progress: Progress | None = None, stop: StopFlag | None = None
) -> LoadResult:
    """Run ``spec`` to its stop rule (or until ``stop.is_set()``) and return the metrics.

    Blocking; call it from a thread without a running event loop (use
    :func:`run_load_async` inside one).  A server that refuses, resets or times out
    gives error results, not exceptions.

    >>> spec = LoadSpec("http://127.0.0.1:5001/score", [b"{}"], rate=100, duration=10)
    >>> result = run_load(spec)  # doctest: +SKIP
    >>> result.metrics["latencyPercentile99InMs"]  # doctest: +SKIP
    """
    if spec.processes > 1:
        from servesize.load._multi import run_processes

        result: LoadResult = run_processes(spec, progress, stop)
        return result
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise LoadGeneratorError("run_load blocks: inside an event loop await run_load_async")
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(run_load_async(spec, progress=progress, stop=stop))


async def run_load_async(
    spec: LoadSpec, *, progress: Progress | None = None, stop: StopFlag | None = None
) -> LoadResult:
    """:func:`run_load` for callers already inside an event loop.

    With ``processes > 1`` the processes are driven from a worker thread.
    """
    if spec.processes > 1:
        from servesize.load._multi import run_processes

        loop = asyncio.get_running_loop()
        call = functools.partial(run_processes, spec, progress, stop)
        return await loop.run_in_executor(None, call)
    raise_fd_limit()
    merger = WindowMerger(1)
    begin = monotonic_ns() + 1_000_000
    measure_start = begin + int(spec.warmup * 1e9)

    def on_second(rec: Recorder) -> None:
        if progress is not None:
            progress(snapshot(begin, measure_start, merger.rows, rec.totals))

    share = Share(spec.rate, spec.concurrency or 0, spec.min_queries, 0, spec.seed)
    totals, end = await run_share(spec, share, begin, merger.add, stop, on_second)
    merger.flush()
    return build_result(
        [totals],
        merger.rows,
        requested_rate=spec.rate,
        measure_start_ns=measure_start,
        end_ns=end,
    )


async def run_share(
    spec: LoadSpec,
    share: Share,
    begin_ns: int,
    sink: Callable[[WindowPart], None],
    stop: StopFlag | None,
    on_second: Callable[[Recorder], None] | None = None,
) -> tuple[Totals, int]:
    """Send one process's share of ``spec`` from ``begin_ns``; return its totals and end."""
    target = parse_target(spec.url)
    requests = encode_requests(target, spec.method, spec.headers, spec.bodies)
    measure_start = begin_ns + int(spec.warmup * 1e9)
    recorder = Recorder(measure_start, sink)
    pacer = None
    if share.rate is not None:
        pacer = make_pacer(
            spec.arrival, begin_ns, share.rate, seed=share.seed, offset_ns=share.offset_ns
        )
    engine = Engine(
        spec,
        target,
        requests,
        recorder,
        pacer=pacer,
        concurrency=share.concurrency,
        min_queries=share.min_queries,
        stop=stop,
        on_second=None if on_second is None else functools.partial(on_second, recorder),
    )
    end = await engine.run(begin_ns)
    totals = recorder.finish(recorder.totals.last_done_ns or end)
    return totals, end


def snapshot(
    begin_ns: int, measure_start_ns: int, rows: list[dict[str, Any]], totals: Totals | None
) -> dict[str, Any]:
    """The progress dict: elapsed ``t``, ``phase``, running counts and the last window."""
    now = monotonic_ns()
    last = rows[-1] if rows else {}
    queries = totals.total if totals else sum(r["queries"] for r in rows)
    success = totals.success if totals else sum(r["successQueries"] for r in rows)
    return {
        "t": round((now - begin_ns) / 1e9, 3),
        "phase": "warmup" if now < measure_start_ns else "measurement",
        "totalQueries": queries,
        "successQueries": success,
        "errors": queries - success,
        "measuredQueriesPerSecond": last.get("measuredQueriesPerSecond"),
        "latencyPercentile50InMs": last.get("latencyPercentile50InMs"),
        "latencyPercentile99InMs": last.get("latencyPercentile99InMs"),
    }


def raise_fd_limit() -> None:
    """Lift the soft open-files limit to the hard one: the open loop may need 1,024+ sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
