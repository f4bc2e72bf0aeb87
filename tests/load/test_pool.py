"""Connections opened ahead of need, and the sender in its own process.

An open loop must never make a due request wait for a connect it could have made
earlier, nor for a thread of its caller that holds the GIL.  The connect tests record,
for every send, whether its connection was opened after the request was due (a
connect on the critical path), by wrapping the engine's real connection class.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from time import monotonic_ns
from typing import Any

import psutil
import pytest

from servesize.load import LoadSpec, _client, _engine, run_load
from servesize.load._pool import CONNECT_FLOOR_S, pool_size, spare_connections
from servesize.load._sender import realtime

from .conftest import Server

# -- sizing -------------------------------------------------------------------------


def test_spares_cover_the_arrivals_of_a_connect_time() -> None:
    assert spare_connections(40, 0.0002) == 2  # 0.04 arrivals per ms: the minimum
    assert spare_connections(40, 0.0) == spare_connections(40, CONNECT_FLOOR_S)
    # 100 arrivals per floor (1 ms) plus 4 standard deviations (4 * 10)
    assert spare_connections(100_000, 0.0002) == 140
    assert spare_connections(1_000, 0.010) == 10 + 13  # mean 10, sd 3.16 -> 12.65
    rates = [1, 10, 100, 1_000, 10_000]
    sizes = [spare_connections(r, 0.001) for r in rates]
    assert sizes == sorted(sizes)


def test_pool_covers_requests_in_flight_and_spares() -> None:
    # Little's law: 40/s x 25 ms = 1 in flight; 1 + 4 sd = 5; plus 2 spares
    assert pool_size(40, 0.025, 0.0002, 1024) == 7
    assert pool_size(40, 0.0, 0.0002, 1024) == 2  # nothing observed yet: the spares
    assert pool_size(1_000, 0.1, 0.0002, 1024) == 100 + 40 + spare_connections(1_000, 0.0002)
    assert pool_size(1_000, 10.0, 0.0002, 64) == 64  # never above the cap
    assert pool_size(40, -1.0, 0.0, 1024) == 2


# -- connects off the critical path ----------------------------------------------------


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """Every send as (due, connection made, sent), in ns."""
    log: list[tuple[int, int, int]] = []

    class Recording(_client.Connection):
        __slots__ = ("made",)

        def connection_made(self, transport: Any) -> None:
            self.made = monotonic_ns()
            super().connection_made(transport)

        def send(self, due: int, sent: int, data: bytes) -> None:
            log.append((due, self.made, sent))
            super().send(due, sent, data)

    monkeypatch.setattr(_engine, "Connection", Recording)
    return log


def _waited(sends: list[tuple[int, int, int]]) -> int:
    """Sends on a connection made after the request was due (it waited for a connect)."""
    return sum(made > due for due, made, _ in sends)


@pytest.mark.timing
@pytest.mark.slow
def test_busy_connections_never_make_a_due_request_wait_for_a_connect(
    server: Server, sends: list[tuple[int, int, int]]
) -> None:
    # every request holds its connection 100 ms: ~10 in flight at 100/s, each on a
    # connection that must be open before it is due (before the pool: ~12 of 200
    # waited, one per new connection)
    spec = LoadSpec(server.url("/delay?ms=100"), [b"x"], rate=100, arrival="constant", duration=2)
    m = run_load(spec).metrics
    assert m["totalQueries"] == 200 == len(sends)
    # 0 unless the machine stalls this process for more than two arrivals (20 ms)
    assert _waited(sends) <= 4


@pytest.mark.timing
@pytest.mark.slow
def test_a_burst_beyond_the_open_connections_finds_connections(
    server: Server, sends: list[tuple[int, int, int]]
) -> None:
    # the 50th request stalls the server 300 ms: ~30 requests fall due while every
    # open connection is busy, each needing a new one (before the pool: all 30 waited)
    k = uuid.uuid4().hex[:12]
    url = server.url(f"/stall?after=50&ms=300&key={k}")
    spec = LoadSpec(url, [b"x"], rate=100, arrival="constant", duration=1.5)
    m = run_load(spec).metrics
    assert m["totalQueries"] == 150 == len(sends)
    assert len({made for _, made, _ in sends}) >= 25  # the burst needed new connections
    assert _waited(sends) <= 4
    assert m["maxLatencyInMs"] >= 250  # the stall did happen


@pytest.mark.untimed
def test_a_refused_target_still_gives_one_error_per_request(dead_port: int) -> None:
    spec = LoadSpec(f"http://127.0.0.1:{dead_port}/", [b"x"], rate=200, duration=0.5)
    m = run_load(spec).metrics
    assert m["totalQueries"] > 50
    assert m["errorsByKind"] == {"connect": m["totalQueries"]}


# -- the sender in its own process -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.untimed
def test_isolated_run_sends_from_a_child_process(server: Server) -> None:
    children: set[int] = set()

    def progress(_snapshot: dict[str, Any]) -> None:
        for child in psutil.Process().children():
            with contextlib.suppress(psutil.Error):
                if any("child_main" in part for part in child.cmdline()):
                    children.add(child.pid)

    spec = LoadSpec(
        server.url("/fast"), [b"x"], rate=200, arrival="constant", duration=1.5, isolated=True
    )
    m = run_load(spec, progress=progress).metrics
    assert m["totalQueries"] == 300
    assert len(children) == 1
    with realtime() as allowed:  # the child has this process's rights
        pass
    assert m["senderRealtime"] is allowed


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs_once(tmp_path: Path, dead_port: int) -> None:
    """The child is a fresh interpreter, not multiprocessing's spawn, which would re-run
    the caller's ``__main__`` (a second profile from an unguarded notebook script)."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from servesize.load import LoadSpec, run_load\n"
        "print('top-level', flush=True)\n"
        f"spec = LoadSpec('http://127.0.0.1:{dead_port}/', [b'x'], rate=50, duration=0.5,"
        " isolated=True, timeout=1)\n"
        "print('total', run_load(spec).metrics['totalQueries'], flush=True)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert out.count("top-level") == 1
    assert "total " in out


@pytest.mark.timing
@pytest.mark.slow
def test_a_thread_holding_the_gil_delays_only_an_in_process_sender(server: Server) -> None:
    """The cause measured inside profiles: another thread of the caller (sampler,
    display) holds the GIL, for up to the 5 ms switch interval, when a request is due."""
    stop = threading.Event()

    def hog() -> None:
        while not stop.is_set():
            sum(range(10_000))

    def late(isolated: bool) -> float:
        spec = LoadSpec(
            server.url("/fast"), [b"x"], rate=200, arrival="poisson", duration=2, seed=3,
            isolated=isolated,
        )  # fmt: skip
        return float(run_load(spec).metrics["lateSendShare"])

    thread = threading.Thread(target=hog, daemon=True)
    thread.start()
    try:
        shared, alone = late(False), late(True)
    finally:
        stop.set()
        thread.join()
    # measured on a busy 2-core machine: 95% in the process, 20% in its own
    assert shared > 0.5
    assert alone < shared / 2
