"""One process's share of a run: its schedule, its engine, its recorder.

Both the single-process entry point (``_run``) and the child processes (``_multi``)
send through :func:`run_share`; keeping it here lets imports inside ``load/`` run
one way (``_run -> _multi -> _share -> engine``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import monotonic_ns
from typing import Any

from servesize.load._client import encode_requests, parse_target
from servesize.load._engine import Engine, StopFlag
from servesize.load._pacer import Pacer, SchedulePacer, make_pacer
from servesize.load._recorder import Recorder, Totals, WindowPart
from servesize.load._spec import LoadSpec

__all__ = ["Progress", "Share", "loop_factory", "raise_fd_limit", "run_share", "snapshot"]

#: Called about once a second with a small dict (see :func:`snapshot`).
Progress = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Share:
    """One process's part of a run: its rate or concurrency, count and schedule offset;
    of a given schedule, every ``parts``-th send time from the ``part``-th (its ``rate``
    is then the most of them in any second, which sizes the connection pool)."""

    rate: float | None
    concurrency: int
    min_queries: int | None
    offset_ns: int = 0
    seed: int | None = None
    part: int = 0
    parts: int = 1


async def run_share(
    spec: LoadSpec,
    share: Share,
    start: Callable[[], Awaitable[int]],
    sink: Callable[[WindowPart], None],
    stop: StopFlag | None,
    on_second: Callable[[Recorder], None] | None = None,
    finish: StopFlag | None = None,
) -> tuple[Totals, int]:
    """Send one process's share of ``spec``; return its totals and end (monotonic ns).

    The connections it needs first are opened, then ``start()`` gives the instant the
    schedule begins (``begin_ns``, the same for every process of a run).
    """
    target = parse_target(spec.url)
    requests = encode_requests(target, spec.method, spec.headers, spec.bodies)
    engine = Engine(
        spec,
        target,
        requests,
        rate=share.rate,
        concurrency=share.concurrency,
        min_queries=share.min_queries,
        stop=stop,
        finish=finish,
    )
    await engine.prepare()
    begin_ns = await start()
    recorder = Recorder(begin_ns + int(spec.warmup * 1e9), sink)
    pacer: Pacer | None = None
    if spec.schedule is not None:
        pacer = SchedulePacer(begin_ns, spec.schedule[share.part :: share.parts])
    elif share.rate is not None:
        pacer = make_pacer(
            spec.arrival, begin_ns, share.rate, seed=share.seed, offset_ns=share.offset_ns
        )
    tick = None if on_second is None else functools.partial(on_second, recorder)
    end = await engine.run(begin_ns, recorder, pacer, tick)
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
    out = {
        "t": round((now - begin_ns) / 1e9, 3),
        "phase": "warmup" if now < measure_start_ns else "measurement",
        "totalQueries": queries,
        "successQueries": success,
        "errors": queries - success,
        "measuredQueriesPerSecond": last.get("measuredQueriesPerSecond"),
        "latencyPercentile50InMs": last.get("latencyPercentile50InMs"),
        "latencyPercentile99InMs": last.get("latencyPercentile99InMs"),
    }
    if "queriesOverThreshold" in last:
        # the closed windows' (requests, over the threshold): what a sequential judgement
        # of the run so far needs (servesize.profiling.sizing.decision)
        out["windowCounts"] = [(r["queries"], r["queriesOverThreshold"]) for r in rows]
    return out


def raise_fd_limit() -> None:
    """Lift the soft open-files limit to the hard one: the open loop may need 1,024+ sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where installed (a dependency on Linux), else asyncio's default."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
