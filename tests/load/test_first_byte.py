"""Time to first byte: counted from the due time, like latency, for streamed answers."""

from __future__ import annotations

import pytest

from servesize.load import LoadSpec, run_load
from servesize.load._recorder import Recorder, WindowPart
from servesize.load._result import build_result
from servesize.workspace import Figures

from .conftest import Server

MS = 1_000_000  # ns


def test_first_byte_is_counted_from_the_due_time() -> None:
    parts: list[WindowPart] = []
    rec = Recorder(0, parts.append)
    # due, sent, done, status, bytes, first byte
    rec.response(0, 1 * MS, 10 * MS, 200, 100, 3 * MS)
    rec.response(5 * MS, 5 * MS, 9 * MS, 200, 100, 9 * MS)  # one packet: first = done
    rec.response(6 * MS, 6 * MS, 8 * MS, 200, 100)  # no first byte given: the completion
    totals = rec.finish(20 * MS)
    m = build_result([totals], [], requested_rate=None, measure_start_ns=0, end_ns=20 * MS).metrics
    assert m["timeToFirstBytePercentile50InMs"] == 3.0  # of 3, 4 and 2 ms
    assert m["timeToFirstBytePercentile99InMs"] == 4.0
    assert m["timeToFirstByteAverageInMs"] == 3.0
    assert m["latencyPercentile99InMs"] == 10.0
    figures = Figures()  # what a profile keeps of them
    figures.take_load_metrics(m)
    assert figures.time_to_first_byte_percentile50_in_ms == 3.0
    assert figures.to_details()["timeToFirstBytePercentile99InMs"] == 4.0


def test_two_processes_merge_their_first_bytes() -> None:
    parts: list[WindowPart] = []
    one, two = Recorder(0, parts.append), Recorder(0, parts.append)
    one.response(0, 0, 10 * MS, 200, 1, 1 * MS)
    two.response(0, 0, 10 * MS, 200, 1, 7 * MS)
    totals = [one.finish(20 * MS), two.finish(20 * MS)]
    m = build_result(totals, [], requested_rate=None, measure_start_ns=0, end_ns=20 * MS).metrics
    assert (m["timeToFirstBytePercentile50InMs"], m["timeToFirstBytePercentile99InMs"]) == (1, 7)


@pytest.mark.untimed
def test_a_streamed_answer_arrives_before_it_ends(server: Server) -> None:
    """The server holds the rest of each answer 20 ms after its first chunk."""
    spec = LoadSpec(server.url("/stream?ms=20"), [b"x"], concurrency=1, min_queries=10)
    m = run_load(spec).metrics
    assert m["successQueries"] == 10
    assert m["timeToFirstBytePercentile50InMs"] < m["latencyPercentile50InMs"]


@pytest.mark.untimed
def test_an_answer_in_one_piece_has_its_first_byte_with_its_last(server: Server) -> None:
    m = run_load(LoadSpec(server.url("/fast"), [b"x"], concurrency=1, min_queries=20)).metrics
    assert 0 < m["timeToFirstBytePercentile50InMs"] <= m["latencyPercentile50InMs"]
    assert m["timeToFirstBytePercentile99InMs"] <= m["latencyPercentile99InMs"]
