"""Several generator processes for one run, merged into one set of exact metrics.

Each child (a fresh interpreter, see :func:`_spawn`) sends its share: ``1/N`` of the rate (for a
constant schedule, shifted by ``i / rate`` so the union is still evenly spaced; for
Poisson, the union of independent Poisson processes is Poisson) or of the
concurrency.  Children stream their closed windows to the parent as they go and
send their totals at the end; the parent merges histograms, never percentiles.
All children start at one instant of the shared monotonic clock.  With one process
(``LoadSpec.isolated``) this runs the sender away from the caller's threads: they
cannot hold its GIL when a request is due.

Each child has two pipes and nothing else (no queue, no semaphore: no feeder thread
beside the sender, no resource-tracker process): up, small typed records
(:class:`Ready`, :class:`Window`, :class:`Done`, :class:`Failed`; NamedTuples, pickled
as plain tuples); down, the start time, then anything at all to halt.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from multiprocessing.connection import Connection, wait
from pathlib import Path
from time import monotonic, monotonic_ns
from typing import NamedTuple

import numpy as np

import servesize
from servesize._process import spawn
from servesize.errors import LoadGeneratorError, ServesizeError
from servesize.load._engine import StopFlag
from servesize.load._recorder import Totals, WindowPart
from servesize.load._result import LoadResult, WindowMerger, build_result, threshold_us
from servesize.load._sender import sending
from servesize.load._share import (
    Progress,
    Share,
    loop_factory,
    raise_fd_limit,
    run_share,
    snapshot,
)
from servesize.load._spec import LoadSpec
from servesize.load._trace import peak_count

__all__ = ["Done", "Failed", "Ready", "Window", "child_main", "run_processes", "shares"]


class Ready(NamedTuple):
    """The child imported everything and waits for the start time."""

    child: int


class Window(NamedTuple):
    """A 1 s window the child closed."""

    child: int
    part: WindowPart


class Done(NamedTuple):
    """The child's share is over: its totals, when it ended (monotonic ns), and whether
    it sent at real-time priority."""

    child: int
    totals: Totals
    end_ns: int
    realtime: bool


class Failed(NamedTuple):
    """The child stopped on a :class:`ServesizeError` (its one-line message)."""

    child: int
    message: str


Message = Ready | Window | Done | Failed

_START_LEAD_NS = 50_000_000  # children get the start time this far ahead
_READY_TIMEOUT_S = 60.0


def shares(spec: LoadSpec, n: int) -> list[Share]:
    """Split ``spec`` over ``n`` processes (fewer when the concurrency is smaller); a
    schedule is dealt round-robin, so the processes' send times add up to it exactly."""
    if spec.concurrency is not None:
        n = min(n, spec.concurrency)
    if spec.schedule is not None:
        times = np.asarray(spec.schedule)
        return [
            Share(float(peak_count(times[i::n], 1.0)), 0, None, 0, None, i, n) for i in range(n)
        ]
    out = []
    for i in range(n):
        seed = None if spec.seed is None else spec.seed + i
        conc = 0
        if spec.concurrency is not None:
            conc = spec.concurrency // n + (1 if i < spec.concurrency % n else 0)
        count = None
        if spec.min_queries:
            count = spec.min_queries // n + (1 if i < spec.min_queries % n else 0)
        rate = None if spec.rate is None else spec.rate / n
        offset = 0 if spec.rate is None else int(i * 1e9 / spec.rate)
        out.append(Share(rate, conc, count, offset, seed))
    return out


def run_processes(
    spec: LoadSpec,
    progress: Progress | None,
    stop: StopFlag | None,
    finish: StopFlag | None = None,
) -> LoadResult:
    """Run ``spec`` over ``spec.processes`` child processes and merge their results."""
    parts = shares(spec, spec.processes)
    children: list[subprocess.Popen[bytes]] = []
    ups: list[Connection] = []  # parent reads
    downs: list[Connection] = []  # parent writes
    try:
        for i, share in enumerate(parts):
            child, up, down = _spawn(i)
            children.append(child)
            ups.append(up)
            downs.append(down)
            try:  # blocks until the child reads it when the bodies exceed a pipe's buffer
                down.send((spec, share, i))
            except OSError as exc:
                code = child.wait()
                raise LoadGeneratorError(
                    f"a load generator process exited with code {code} before it started"
                ) from exc
        inbox = _Inbox(list(ups), children)
        deadline = monotonic() + _READY_TIMEOUT_S
        ready = 0
        while ready < len(children):
            if stop is not None and stop.is_set():
                # stopped before any request was sent (a Ctrl-C, a service that died):
                # an empty run, so that the caller says why it stopped, as after a halt
                now = monotonic_ns()
                return build_result(
                    [],
                    [],
                    requested_rate=spec.requested_rate,
                    measure_start_ns=now,
                    end_ns=now,
                    threshold_ms=spec.threshold_ms,
                )
            if monotonic() > deadline:
                raise LoadGeneratorError(
                    f"the load generator processes did not start within {_READY_TIMEOUT_S:g} s"
                )
            ready += sum(isinstance(m, Ready) for m in inbox.read(0.1))
        begin = monotonic_ns() + _START_LEAD_NS
        for w in downs:
            w.send(begin)
        measure_start = begin + int(spec.warmup * 1e9)
        merger = WindowMerger(len(children), threshold_us(spec.threshold_ms))
        totals: list[Totals] = []
        realtime = True
        end = begin
        next_progress = monotonic() + 1.0
        halted = finishing = False
        while len(totals) < len(children):
            if not halted and stop is not None and stop.is_set():
                halted = True
                _halt(downs)
            if not (halted or finishing) and finish is not None and finish.is_set():
                finishing = True
                _send(downs, _FINISH)
            for msg in inbox.read(0.1):
                if isinstance(msg, Window):
                    merger.add(msg.part)
                elif isinstance(msg, Done):
                    totals.append(msg.totals)
                    end = max(end, msg.end_ns)
                    realtime = realtime and msg.realtime
            if progress is not None and monotonic() >= next_progress:
                next_progress += 1.0
                progress(snapshot(begin, measure_start, merger.rows, None))
        merger.flush()
        result = build_result(
            totals,
            merger.rows,
            requested_rate=spec.requested_rate,
            measure_start_ns=measure_start,
            end_ns=end,
            threshold_ms=spec.threshold_ms,
        )
        result.metrics["senderRealtime"] = realtime and spec.open_loop
        return result
    finally:
        _halt(downs)
        for child in children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for conn in [*ups, *downs]:
            conn.close()


def _spawn(index: int) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """Start one child: a fresh interpreter running :func:`child_main`, two pipes.

    Not ``multiprocessing``: its ``spawn`` re-runs the caller's ``__main__`` in the
    child, so a user's script calling ``profile()`` at top level without a
    ``__name__ == "__main__"`` guard would start a second profile; ``fork`` would copy
    a process whose other threads may hold locks.  The child dies with its parent.
    """
    up_r, up_w = os.pipe()
    down_r, down_w = os.pipe()
    root = str(Path(servesize.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    code = "from servesize.load._multi import child_main; child_main()"
    try:
        # a Ctrl-C during the fork is held and raised after it, with the child killed
        # (_process.spawn; environments/_uv.py has the measured case)
        child: subprocess.Popen[bytes] = spawn(
            [sys.executable, "-c", code, str(up_w), str(down_r)],
            pass_fds=(up_w, down_r),
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except BaseException as exc:
        for fd in (up_r, up_w, down_r, down_w):
            os.close(fd)
        if isinstance(exc, OSError):
            raise LoadGeneratorError(
                f"cannot start a load generator process {index}: {exc}"
            ) from exc
        raise
    os.close(up_w)  # the child holds its ends: EOF now means the child is gone
    os.close(down_r)
    return child, Connection(up_r, writable=False), Connection(down_w, readable=False)


def child_main() -> None:
    """Entry point of a child process: ``argv`` holds its up and down pipe fds."""
    up = Connection(int(sys.argv[1]), readable=False)
    down = Connection(int(sys.argv[2]), writable=False)
    try:
        spec, share, index = down.recv()
    except EOFError:
        return
    _child(spec, share, index, up, down)


class _Inbox:
    """The children's up pipes: the records that arrived, failures raised."""

    def __init__(self, readers: list[Connection], children: list[subprocess.Popen[bytes]]) -> None:
        self.readers = readers
        self.children = children

    def read(self, timeout: float) -> list[Message]:
        out: list[Message] = []
        for conn in wait(self.readers, timeout):
            assert isinstance(conn, Connection)
            try:
                msg: Message = conn.recv()
            except EOFError:  # the child exited; it said why, or its exit code does
                self.readers.remove(conn)
                continue
            if isinstance(msg, Failed):
                raise LoadGeneratorError(msg.message)
            out.append(msg)
        if not out:
            dead = [c for c in self.children if c.poll() not in (None, 0)]
            if dead:
                code = dead[0].returncode
                raise LoadGeneratorError(f"a load generator process exited with code {code}")
        return out


#: sent down to end the schedule now and let the requests in flight end (any other
#: message halts at once)
_FINISH = "finish"


def _halt(downs: list[Connection]) -> None:
    _send(downs, None)


def _send(downs: list[Connection], message: object) -> None:
    for w in downs:
        with contextlib.suppress(OSError, ValueError):
            w.send(message)


class _Halted(Exception):
    """The run was called off before this child's start time came."""


class _DownFlag:
    """The child's stop flag: anything arriving on its down pipe (or its end) halts, but
    ``_FINISH``, which sets :attr:`finish` (the schedule ends, requests in flight end)."""

    def __init__(self, down: Connection) -> None:
        self.down = down
        self.halted = False
        self.finish = _Flag()

    def is_set(self) -> bool:
        while not self.halted and self.down.poll():
            try:
                message = self.down.recv()
            except EOFError:
                message = None
            if message == _FINISH:
                self.finish.set = True
            else:
                self.halted = True
        return self.halted


class _Flag:
    """A flag another object sets (``_DownFlag`` sets its ``finish``)."""

    def __init__(self) -> None:
        self.set = False

    def is_set(self) -> bool:
        return self.set


def _child(spec: LoadSpec, share: Share, index: int, up: Connection, down: Connection) -> None:
    """Body of one child process: open connections, report ready, wait for the start
    time, send, report."""

    def wait_begin() -> int:
        down.poll(None)
        try:
            begin = down.recv()
        except EOFError:
            raise _Halted from None
        if not isinstance(begin, int):
            raise _Halted
        return begin

    async def begin() -> int:
        up.send(Ready(index))
        return await asyncio.get_running_loop().run_in_executor(None, wait_begin)

    def sink(part: WindowPart) -> None:
        up.send(Window(index, part))

    try:
        raise_fd_limit()
        with (
            sending(spec.open_loop) as realtime,
            asyncio.Runner(loop_factory=loop_factory()) as runner,
        ):
            flag = _DownFlag(down)
            totals, end = runner.run(run_share(spec, share, begin, sink, flag, finish=flag.finish))
        up.send(Done(index, totals, end, realtime))
    except _Halted:
        pass
    except ServesizeError as exc:
        up.send(Failed(index, str(exc)))
    finally:
        up.close()
