"""Counting requests over a latency threshold as the run goes, and ending a schedule
early without cutting it short (what the sizing's sequential decision needs)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from servesize.load import LoadSpec, run_load
from servesize.load._histogram import Histogram

from .conftest import Server


def test_count_above_counts_values_strictly_greater() -> None:
    h = Histogram.of([5, 10, 10, 11, 40])
    assert h.count_above(10) == 2
    assert h.count_above(4) == 5
    assert h.count_above(40) == 0
    assert Histogram().count_above(1) == 0


@pytest.mark.parametrize("isolated", [False, True])
@pytest.mark.untimed
def test_requests_over_the_threshold_are_counted_per_window_and_in_all(
    server: Server, isolated: bool
) -> None:
    seen: list[dict[str, Any]] = []
    spec = LoadSpec(
        server.url("/delay?ms=30"), [b"x"], rate=40, duration=2.2, threshold_ms=15.0,
        isolated=isolated,
    )  # fmt: skip
    result = run_load(spec, progress=seen.append)
    m = result.metrics
    # every request took at least 30 ms: all of them are over a 15 ms threshold
    assert m["queriesOverThreshold"] == m["totalQueries"] > 0
    assert m["latencyThresholdInMs"] == 15.0
    assert sum(w["queriesOverThreshold"] for w in result.windows) == m["totalQueries"]
    counts = [s["windowCounts"] for s in seen if "windowCounts" in s]
    assert counts, "the progress snapshots carry the closed windows' counts"
    assert all(over == n for n, over in counts[-1])


@pytest.mark.untimed
def test_nothing_is_over_a_generous_threshold(server: Server) -> None:
    spec = LoadSpec(server.url("/ok"), [b"x"], rate=50, duration=1.0, threshold_ms=5000.0)
    m = run_load(spec).metrics
    assert m["totalQueries"] > 0
    assert m["queriesOverThreshold"] == 0


@pytest.mark.untimed
def test_unanswered_requests_count_as_over_the_threshold(dead_port: int) -> None:
    spec = LoadSpec(
        f"http://127.0.0.1:{dead_port}/", [b"x"], rate=20, duration=0.5, threshold_ms=5000.0
    )
    m = run_load(spec).metrics
    assert m["totalQueries"] > 0
    assert m["queriesOverThreshold"] == m["totalQueries"]


@pytest.mark.untimed
def test_without_a_threshold_nothing_is_counted(server: Server) -> None:
    result = run_load(LoadSpec(server.url("/ok"), [b"x"], rate=50, duration=0.5))
    assert "queriesOverThreshold" not in result.metrics
    assert all("queriesOverThreshold" not in w for w in result.windows)


@pytest.mark.parametrize("isolated", [False, True])
@pytest.mark.untimed
def test_finish_ends_the_schedule_early_and_lets_requests_in_flight_end(
    server: Server, isolated: bool
) -> None:
    finish = threading.Event()

    def progress(snapshot: dict[str, Any]) -> None:
        if snapshot["totalQueries"] > 0:
            finish.set()

    spec = LoadSpec(
        server.url("/delay?ms=50"), [b"x"], rate=100, duration=60.0, min_queries=10_000,
        isolated=isolated,
    )  # fmt: skip
    m = run_load(spec, progress=progress, finish=finish).metrics
    assert finish.is_set()
    assert m["durationSeconds"] < 30.0  # ended long before its 60 s duration
    # a normal end, not a cut: every scheduled request ended and the backlog was taken
    assert m["totalQueries"] == m["scheduledQueries"] > 0
    assert m["backlogAtScheduleEnd"] is not None
    assert not m["errorsByKind"]
