"""The generator against a real HTTP server on loopback (see fixture_server.py)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from servesize.errors import LoadGeneratorError
from servesize.load import LoadSpec, run_load, run_load_async

from .conftest import Server


def key() -> str:
    return uuid.uuid4().hex[:12]


@pytest.mark.timing
def test_closed_loop_sends_exactly_min_queries(server: Server) -> None:
    k = key()
    spec = LoadSpec(server.url(f"/fast?key={k}"), [b"a", b"b"], concurrency=4, min_queries=500)
    result = run_load(spec)
    m = result.metrics
    assert m["totalQueries"] == m["successQueries"] == 500
    assert server.count(k) == 500  # what the server saw, not what we think we sent
    assert m["successRate"] == 1.0
    assert m["errorsByKind"] == {}
    assert m["errorsByStatus"] == {}
    # closed loop: due time is send time, but for the 4 first requests, sent once
    # their connection is up (which can take over 1 ms on a busy machine)
    assert m["lateSendShare"] <= 4 / 500
    assert m["bytesReceived"] > 500 * len(b"ok")
    assert m["minLatencyInMs"] <= m["latencyPercentile50InMs"] <= m["latencyPercentile99InMs"]
    assert m["latencyPercentile99InMs"] <= m["latencyPercentile999InMs"] <= m["maxLatencyInMs"]


@pytest.mark.timing
def test_constant_rate_is_kept(server: Server) -> None:
    k = key()
    spec = LoadSpec(server.url(f"/fast?key={k}"), [b"x"], rate=400, arrival="constant", duration=2)
    m = run_load(spec).metrics
    assert m["totalQueries"] == 800  # due times 0, 1/400, ... < 2 s
    assert server.count(k) == 800
    assert m["requestedQueriesPerSecond"] == 400
    assert m["measuredQueriesPerSecond"] == pytest.approx(400, rel=0.05)


@pytest.mark.timing
def test_poisson_rate_has_the_right_mean(server: Server) -> None:
    spec = LoadSpec(server.url("/fast"), [b"x"], rate=500, arrival="poisson", duration=2, seed=1)
    m = run_load(spec).metrics
    # 1,000 expected; a Poisson count has standard deviation ~32
    assert 850 <= m["totalQueries"] <= 1150
    assert m["measuredQueriesPerSecond"] == pytest.approx(500, rel=0.15)


@pytest.mark.timing
def test_open_loop_p99_shows_a_stall(server: Server) -> None:
    k = key()
    url = server.url(f"/stall?after=150&ms=300&key={k}")
    result = run_load(LoadSpec(url, [b"x"], rate=200, arrival="constant", duration=3))
    m = result.metrics
    assert m["totalQueries"] == 600
    assert m["successRate"] == 1.0
    # ~60 of 600 requests were due during the 300 ms stall: they all waited
    assert m["latencyPercentile99InMs"] > 150
    assert m["latencyPercentile95InMs"] > 20
    assert m["latencyPercentile50InMs"] < 50
    assert m["maxLatencyInMs"] >= 250
    stalled = [w for w in result.windows if (w["latencyPercentile99InMs"] or 0) > 150]
    assert len(stalled) >= 1


@pytest.mark.timing
def test_closed_loop_service_time_hides_what_open_loop_shows(server: Server) -> None:
    k = key()
    url = server.url(f"/stall?after=50&ms=300&key={k}")
    m = run_load(LoadSpec(url, [b"x"], concurrency=1, min_queries=600)).metrics
    assert m["maxLatencyInMs"] >= 250  # one request saw the stall ...
    assert m["latencyPercentile99InMs"] < 150  # ... and only one: coordinated omission


@pytest.mark.untimed
def test_warmup_is_excluded(server: Server) -> None:
    k = key()
    spec = LoadSpec(
        server.url(f"/fast?key={k}"), [b"x"], rate=200, arrival="constant", duration=1, warmup=0.5
    )
    result = run_load(spec)
    assert result.metrics["totalQueries"] == 200
    assert result.warmup["totalQueries"] == 100
    assert result.warmup["successRate"] == 1.0
    assert server.count(k) == 300
    assert result.to_dict()["warmup"]["totalQueries"] == 100


@pytest.mark.untimed
def test_duration_and_min_queries_both_hold(server: Server) -> None:
    spec = LoadSpec(
        server.url("/fast"), [b"x"], rate=100, arrival="constant", duration=0.5, min_queries=120
    )
    m = run_load(spec).metrics
    assert m["totalQueries"] == 120  # the count outlasted the duration
    assert m["durationSeconds"] >= 1.15
    spec = LoadSpec(
        server.url("/fast"), [b"x"], rate=100, arrival="constant", duration=1.0, min_queries=10
    )
    assert run_load(spec).metrics["totalQueries"] == 100  # the duration outlasted the count


@pytest.mark.timing
def test_a_schedule_replays_its_send_times_and_latency_counts_from_them(server: Server) -> None:
    k = key()
    # five requests due at once on one connection: each waits for the one before
    spec = LoadSpec(server.url(f"/delay?ms=50&key={k}"), [b"x"], schedule=[0.0] * 5, connections=1)
    m = run_load(spec).metrics
    assert m["totalQueries"] == m["scheduledQueries"] == server.count(k) == 5
    assert m["maxLatencyInMs"] >= 250  # the last was due at 0 and answered after 5 x 50 ms
    assert m["lateSendShare"] == 0.8  # the four that waited were sent late, and said so
    assert m["backlogAtScheduleEnd"] == 5  # none answered when the schedule ran out
    assert m["requestedQueriesPerSecond"] is None  # five at one instant: no rate
    # a duration cuts the schedule: due times 0, 0.1, ..., 0.4 are sent, 0.5 on are not
    k = key()
    times = [i / 10 for i in range(10)]
    spec = LoadSpec(server.url(f"/fast?key={k}"), [b"x"], schedule=times, duration=0.45)
    m = run_load(spec).metrics
    assert m["totalQueries"] == server.count(k) == 5
    assert m["requestedQueriesPerSecond"] == round(10 / 0.9, 3)


@pytest.mark.untimed
def test_chunked_responses_are_parsed(server: Server) -> None:
    m = run_load(LoadSpec(server.url("/chunked"), [b"x"], concurrency=2, min_queries=50)).metrics
    assert m["successQueries"] == 50
    assert m["errorsByKind"] == {}
    assert m["bytesReceived"] >= 50 * len(b"hello world")


@pytest.mark.untimed
def test_connection_close_reconnects(server: Server) -> None:
    k = key()
    spec = LoadSpec(server.url(f"/close?key={k}"), [b"x"], concurrency=3, min_queries=90)
    m = run_load(spec).metrics
    assert m["successQueries"] == 90
    assert m["errorsByKind"] == {}
    assert server.count(k) == 90


@pytest.mark.untimed
def test_resets_are_errors_not_exceptions(server: Server) -> None:
    m = run_load(LoadSpec(server.url("/reset"), [b"x"], concurrency=2, min_queries=40)).metrics
    assert m["totalQueries"] == 40
    assert m["successQueries"] == 0
    assert m["successRate"] == 0.0
    assert m["errorsByKind"] == {"reset": 40}
    assert m["latencyPercentile50InMs"] is None  # latency covers responses only


@pytest.mark.untimed
def test_http_errors_are_counted_by_status(server: Server) -> None:
    m = run_load(
        LoadSpec(server.url("/status?code=503"), [b"x"], concurrency=1, min_queries=20)
    ).metrics
    assert m["errorsByStatus"] == {"503": 20}
    assert m["successQueries"] == 0


@pytest.mark.untimed
def test_dead_port_gives_connect_errors(dead_port: int) -> None:
    url = f"http://127.0.0.1:{dead_port}/"
    m = run_load(LoadSpec(url, [b"x"], rate=100, arrival="constant", duration=0.5)).metrics
    assert m["totalQueries"] == 50
    assert m["errorsByKind"] == {"connect": 50}
    m = run_load(LoadSpec(url, [b"x"], concurrency=2, min_queries=30)).metrics
    assert m["errorsByKind"] == {"connect": 30}


@pytest.mark.timing
def test_timeouts_are_errors(server: Server) -> None:
    spec = LoadSpec(server.url("/delay?ms=2000"), [b"x"], concurrency=2, min_queries=2, timeout=0.2)
    started = time.monotonic()
    m = run_load(spec).metrics
    assert m["errorsByKind"] == {"timeout": 2}
    assert time.monotonic() - started < 1.9  # did not wait for the server's 2 s


@pytest.mark.timing
def test_stop_event_ends_the_run_promptly(server: Server) -> None:
    stop = threading.Event()
    snapshots: list[dict[str, object]] = []

    def progress(snapshot: dict[str, object]) -> None:
        snapshots.append(snapshot)
        stop.set()  # Ctrl-C after the first second

    spec = LoadSpec(server.url("/delay?ms=5"), [b"x"], rate=100, duration=60)
    started = time.monotonic()
    result = run_load(spec, progress=progress, stop=stop)
    assert time.monotonic() - started < 5
    assert 50 <= result.metrics["totalQueries"] <= 200  # what was measured until then
    assert snapshots
    assert snapshots[0]["phase"] == "measurement"
    assert int(snapshots[0]["totalQueries"]) <= result.metrics["totalQueries"]  # type: ignore[call-overload]


@pytest.mark.untimed
def test_a_stop_before_the_generator_processes_start_is_an_empty_run(server: Server) -> None:
    # a Ctrl-C (or a service that died) while the processes start: not a generator
    # failure, so the caller says why it stopped (a profile: Cancelled), and nothing is
    # sent or left running
    import psutil

    before = {c.pid for c in psutil.Process().children()}  # the fixture's server
    stop = threading.Event()
    stop.set()
    k = key()
    spec = LoadSpec(server.url(f"/fast?key={k}"), [b"x"], rate=100, duration=5, processes=2)
    result = run_load(spec, stop=stop)
    assert result.metrics["totalQueries"] == 0
    assert server.count(k) == 0
    assert {c.pid for c in psutil.Process().children()} <= before


@pytest.mark.untimed
def test_unresolvable_host_raises() -> None:
    spec = LoadSpec("http://no-such-host.invalid/", [b"x"], rate=10, duration=1)
    with pytest.raises(LoadGeneratorError, match="cannot resolve"):
        run_load(spec)


@pytest.mark.untimed
def test_async_entry_point_and_no_nested_loops(server: Server) -> None:
    spec = LoadSpec(server.url("/fast"), [b"x"], concurrency=2, min_queries=30)

    async def main() -> int:
        with pytest.raises(LoadGeneratorError, match="run_load_async"):
            run_load(spec)
        result = await run_load_async(spec)
        return int(result.metrics["totalQueries"])

    assert asyncio.run(main()) == 30


@pytest.mark.timing
@pytest.mark.slow
def test_two_processes_merge_exactly(server: Server) -> None:
    k = key()
    spec = LoadSpec(
        server.url(f"/fast?key={k}"),
        [b"x"],
        rate=400,
        arrival="constant",
        duration=1.5,
        warmup=0.5,
        processes=2,
    )
    result = run_load(spec)
    m = result.metrics
    assert m["totalQueries"] == 600
    assert result.warmup["totalQueries"] == 200
    assert server.count(k) == 800
    assert sum(w["queries"] for w in result.windows) == 600
    assert m["measuredQueriesPerSecond"] == pytest.approx(400, rel=0.1)
    k2 = key()
    spec = LoadSpec(
        server.url(f"/fast?key={k2}"), [b"x"], concurrency=3, min_queries=301, processes=2
    )
    assert run_load(spec).metrics["totalQueries"] == 301 == server.count(k2)
