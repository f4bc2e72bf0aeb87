"""The sender: turns a pace (a schedule, or "as soon as one completes") into requests.

Open loop: each request goes out at its due time on a free keep-alive connection.
Connections are opened ahead of need, off the critical path (see ``_pool``): spare
idle ones from before the clock starts, refilled in the background as they are taken,
and a pool sized from the rate and the observed latency.  A request that still finds
none free waits in line for the first connection to open or free up, and its lateness
is counted.  Closed loop: ``concurrency`` connections each send the next request the
moment the last one completes (due time = send time).  Every request ends as one
result in the recorder: a response, or an error kind (connect, reset, timeout,
protocol).  A periodic sweep enforces timeouts, closes idle windows, reports
progress and notices the stop event.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Callable
from time import monotonic_ns
from typing import Protocol

from servesize.errors import LoadGeneratorError
from servesize.load._client import Connection, Target
from servesize.load._pacer import END, Pacer
from servesize.load._pool import CONNECT_FLOOR_S, pool_size, spare_connections
from servesize.load._recorder import Recorder
from servesize.load._spec import LoadSpec
from servesize.load._timer import Timer, make_timer

__all__ = ["Engine", "StopFlag"]

#: The open loop sleeps on a high-resolution timer (see ``_timer``) set this long
#: before a due time (a sleeper takes ~15-20 us to run again after its timer
#: fires), then polls the loop without blocking for what is left, so sends are
#: within a few microseconds of their schedule and I/O is still served meanwhile.
_LEAD_NS = 40_000
_SWEEP_S = 0.05
#: How long ``prepare`` waits for the spare connections before the clock starts.
_PREPARE_S = 2.0
#: Weight of a new observation in the smoothed connect time and latency.
_SMOOTHING = 1 / 16


class StopFlag(Protocol):
    """Anything with ``is_set()``: a ``threading.Event``, ``asyncio.Event``, ..."""

    def is_set(self) -> bool: ...


class Engine:
    """One process's sender for one run: ``await prepare()`` (before the clock starts),
    then ``await run(...)``, which returns when the run is over.

    ``rate`` (requests/s of this process; of a given schedule, its busiest second) makes
    it an open loop, else ``concurrency`` requests are always in flight.
    """

    def __init__(
        self,
        spec: LoadSpec,
        target: Target,
        requests: list[bytes],
        *,
        rate: float | None,
        concurrency: int,
        min_queries: int | None,
        stop: StopFlag | None,
        finish: StopFlag | None = None,
    ) -> None:
        self.target = target
        self.requests = requests
        self.rate = rate
        self.pacer: Pacer | None = None
        self.rec: Recorder  # set by run()
        self.concurrency = concurrency
        self.cap = spec.connection_cap if rate is not None else concurrency
        self.timeout_ns = int(spec.timeout * 1e9)
        # a schedule without a duration ends with its last send time, not by the clock
        self.duration_ns: int | None = int((spec.duration or 0) * 1e9)
        if spec.schedule is not None and spec.duration is None:
            self.duration_ns = None
        self.start = self.end = 0  # measurement start, and the duration's end (ns)
        self.min_queries = min_queries or 0
        self.stop = stop
        self.finish = finish
        self.on_second: Callable[[], None] | None = None
        self.conns: set[Connection] = set()
        self.free: list[Connection] = []
        self.waiting: deque[int] = deque()
        self.connecting: set[asyncio.Task[None]] = set()
        self.spares = 0  # connects in progress that no request waits on yet
        self.spare_target = 0  # open loop: idle connections to keep ready
        self.pool_target = 0  # open loop: connections to hold open
        self.connect_s = CONNECT_FLOOR_S  # smoothed observed connect time
        self.latency_s = 0.0  # smoothed observed latency (due to done)
        self.inflight = 0  # requests assigned to a connection (connecting or sent)
        self.issued = 0  # measured requests issued so far
        self.next = 0  # round-robin index into requests
        self.issuing = True
        self.cancelled = False
        self.addr: tuple[str, int] = (target.host, target.port)
        self._finished: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next_second = 0
        self._begin_ns = 0
        self.due = 0  # open loop: the due time of the next request
        self.timer: Timer | None = None

    # -- the run ------------------------------------------------------------------

    async def prepare(self) -> None:
        """Resolve the target and, for an open loop, open the spare connections (as wrk2
        does before its clock starts), waiting at most ``_PREPARE_S`` for them."""
        loop = self._loop = asyncio.get_running_loop()
        self.addr = await self._resolve(loop)
        if self.rate is not None:
            self.timer = make_timer(loop, self._tick)
            self._size_pool()
            self._top_up()
            if self.connecting:
                await asyncio.wait(set(self.connecting), timeout=_PREPARE_S)

    async def run(
        self,
        begin_ns: int,
        recorder: Recorder,
        pacer: Pacer | None,
        on_second: Callable[[], None] | None,
    ) -> int:
        """Send from ``begin_ns`` (monotonic) until the stop rule holds; return the end.

        ``pacer`` gives the open loop's due times; ``on_second`` is called about once a
        second.
        """
        if self._loop is None:
            await self.prepare()
        loop = self._loop
        assert loop is not None
        self.rec = recorder
        self.pacer = pacer
        self.on_second = on_second
        self.start = recorder.start
        self.end = END if self.duration_ns is None else recorder.start + self.duration_ns
        self._finished = loop.create_future()
        self._next_second = begin_ns + 1_000_000_000
        self._begin_ns = begin_ns
        loop.call_later(max(begin_ns - monotonic_ns(), 0) / 1e9, self._begin)
        sweep = loop.call_later(_SWEEP_S, self._sweep)
        try:
            await self._finished
        finally:
            end = monotonic_ns()
            sweep.cancel()
            if self.timer is not None:
                self.timer.close()
            await self._close_all()
        return end

    async def _resolve(self, loop: asyncio.AbstractEventLoop) -> tuple[str, int]:
        try:
            infos = await loop.getaddrinfo(
                self.target.host, self.target.port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise LoadGeneratorError(f"cannot resolve {self.target.host}: {exc}") from exc
        address = infos[0][4]
        return (str(address[0]), int(address[1]))

    def _begin(self) -> None:
        now = monotonic_ns()
        if now < self._begin_ns:  # the loop's timers may fire up to 1 ms early
            assert self._loop is not None
            self._loop.call_soon(self._begin)
            return
        if self.pacer is None:
            for _ in range(self.concurrency):
                if self._keep_issuing(now):
                    self._connect(now)
        else:
            self.due = self.pacer.next_due()
            self._tick()

    def _keep_issuing(self, due: int) -> bool:
        """Count ``due`` as issued if the stop rule does not hold yet."""
        if not self.issuing:
            return False
        if due >= self.start:
            if due >= self.end and self.issued >= self.min_queries:
                self.issuing = False
                # what the service has yet to answer when the schedule ends (the verdict's
                # test of whether it kept up)
                self.rec.totals.backlog = self.inflight + len(self.waiting)
                self._maybe_finish()
                return False
            self.issued += 1
            self.rec.totals.scheduled = self.issued
        return True

    def _tick(self) -> None:
        """The open-loop pacer: issue everything due, then wait for the next due time."""
        now = monotonic_ns()
        while self.due <= now:
            if not self._keep_issuing(self.due):
                return
            conn = self.free.pop() if self.free else None
            if conn is not None:
                conn.send(self.due, now, self._body())
                self.inflight += 1
            else:
                self.waiting.append(self.due)
            self.due = self.pacer.next_due()  # type: ignore[union-attr]
            now = monotonic_ns()
        if self.due == END:  # a given schedule is spent: the run ends with its last request
            self._keep_issuing(END)
            return
        if len(self.free) - len(self.waiting) < self.spare_target:
            self._top_up()
        if self.due - now > _LEAD_NS:
            self.timer.at(self.due - _LEAD_NS)  # type: ignore[union-attr]
        else:
            self._loop.call_soon(self._tick)  # type: ignore[union-attr]

    def _body(self) -> bytes:
        i = self.next
        self.next = i + 1 if i + 1 < len(self.requests) else 0
        return self.requests[i]

    # -- connections -----------------------------------------------------------------

    def _connect(self, due: int | None) -> None:
        """Open a connection for a request due at ``due`` (the connect counts in its
        latency), or a spare one for whichever request needs it first (``None``)."""
        if due is None:
            self.spares += 1
        else:
            self.inflight += 1
        task = asyncio.ensure_future(self._open(due))
        self.connecting.add(task)
        task.add_done_callback(self.connecting.discard)

    def _size_pool(self) -> None:
        rate = self.rate
        assert rate is not None
        self.spare_target = min(self.cap, spare_connections(rate, self.connect_s))
        self.pool_target = pool_size(rate, self.latency_s, self.connect_s, self.cap)

    def _top_up(self, grow: bool = False) -> None:
        """Open spare connections until the waiting requests and the spare target are
        covered, within the cap; with ``grow`` also towards the pool target, by at most
        ``spare_target`` at a time (a burst of connects would delay sends itself)."""
        room = self.cap - len(self.conns) - len(self.connecting)
        short = len(self.waiting) + self.spare_target - len(self.free) - self.spares
        if grow:
            pool_short = self.pool_target - len(self.conns) - len(self.connecting)
            short = max(short, min(pool_short, self.spare_target))
        for _ in range(min(short, room)):
            self._connect(None)

    async def _open(self, due: int | None) -> None:
        loop = self._loop
        assert loop is not None
        conn = Connection(self)
        begin = monotonic_ns()
        try:
            async with asyncio.timeout(self.timeout_ns / 1e9):
                await loop.create_connection(
                    lambda: conn,
                    self.addr[0],
                    self.addr[1],
                    ssl=self.target.ssl_context(),
                    server_hostname=self.target.host if self.target.tls else None,
                )
        except (OSError, TimeoutError, ValueError) as exc:
            if self.cancelled:
                return
            now = monotonic_ns()
            kind = "timeout" if isinstance(exc, TimeoutError) else "connect"
            if due is None:  # a spare: the request waiting longest gets the error
                self.spares -= 1
                if not self.waiting:
                    return  # no retry here: the next sweep or send tops up
                due = self.waiting.popleft()
                self.inflight += 1
            self.inflight -= 1
            self.rec.error(due, 0, now, kind)
            self._next_after(None, now)
            return
        if self.cancelled:
            conn.abort("reset")
            return
        self.conns.add(conn)
        now = monotonic_ns()
        self.connect_s += ((now - begin) / 1e9 - self.connect_s) * _SMOOTHING
        if due is None:
            self.spares -= 1
            self._next_after(conn, now)
            return
        conn.send(due, now, self._body())

    def on_response(self, conn: Connection, status: int, keep_alive: bool) -> None:
        now = monotonic_ns()
        self.inflight -= 1
        self.latency_s += ((now - conn.due) / 1e9 - self.latency_s) * _SMOOTHING
        self.rec.response(conn.due, conn.sent, now, status, conn.nbytes, conn.first)
        if not keep_alive:
            self.conns.discard(conn)
            conn.abort("reset")
            conn = None  # type: ignore[assignment]
        self._next_after(conn, now)

    def on_lost(self, conn: Connection) -> None:
        self.conns.discard(conn)
        if conn in self.free:
            self.free.remove(conn)
        if conn.busy and not self.cancelled:
            conn.busy = False
            now = monotonic_ns()
            self.inflight -= 1
            self.rec.error(conn.due, conn.sent, now, conn.error)
            self._next_after(None, now)

    def _next_after(self, conn: Connection | None, now: int) -> None:
        """A request ended; give its connection (or its slot) the next request."""
        if self.rate is None:
            if self._keep_issuing(now):
                if conn is not None:
                    self.inflight += 1
                    conn.send(now, now, self._body())
                else:
                    self._connect(now)
                return
        elif self.waiting:
            if conn is not None:
                self.inflight += 1
                conn.send(self.waiting.popleft(), now, self._body())
            else:  # the connection closed: one opens for the waiting requests
                self._top_up()
            return
        elif conn is not None:
            self.free.append(conn)
        self._maybe_finish()

    # -- housekeeping ------------------------------------------------------------------

    def _sweep(self) -> None:
        now = monotonic_ns()
        if self.stop is not None and self.stop.is_set():
            self.cancelled = True
            self._finish()
            return
        for conn in list(self.conns):
            if conn.busy and now - conn.sent > self.timeout_ns:
                conn.abort("timeout")
        self.rec.roll(now)
        if self.issuing and self.finish is not None and self.finish.is_set():
            # the schedule ends now, as if its duration had passed: what is in flight
            # still ends and counts, and the backlog is recorded as at a normal end
            self.end = min(self.end, now)
            self.min_queries = 0
            self._keep_issuing(now)
        if self.rate is not None and self.issuing:
            self._size_pool()
            self._top_up(grow=True)
        elif self.rate is not None and self.waiting and not self.connecting:
            # the schedule has ended with requests still waiting and no connect under way
            # (the last ones failed while the cap left no room for another: a refused
            # target at 200/s hung so, on a busy machine): open one for them
            self._top_up()
        if now >= self._next_second:
            self._next_second += 1_000_000_000
            if self.on_second is not None:
                self.on_second()
        assert self._loop is not None
        self._loop.call_later(_SWEEP_S, self._sweep)

    def _maybe_finish(self) -> None:
        if not self.issuing and not self.inflight and not self.waiting:
            self._finish()

    def _finish(self) -> None:
        self.issuing = False
        if self._finished is not None and not self._finished.done():
            self._finished.set_result(None)

    async def _close_all(self) -> None:
        """Abort every connection and connect attempt, and let the loop close the sockets."""
        self.cancelled = True
        tasks = list(self.connecting)
        for task in tasks:
            task.cancel()
        for conn in list(self.conns):
            conn.abort("reset")
        self.conns.clear()
        self.free.clear()
        self.waiting.clear()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(3):  # transports finish closing on the next loop iterations
            await asyncio.sleep(0)
