"""The warm-up every fresh service gets before it is measured
(``servesize.profiling._service.warm``), against the real fixture server."""

from __future__ import annotations

import time

import pytest

from servesize.profiling._service import warm
from servesize.profiling.servers import Endpoint
from servesize.profiling.settings import ProfileSettings

from .conftest import Server


@pytest.mark.untimed
def test_each_body_is_sent_once(server: Server) -> None:
    bodies = [f'{{"row": {i}}}'.encode() for i in range(7)]
    warm(server.base, bodies, Endpoint(score_path="/ok?key=warm-once"), 1, ProfileSettings())
    assert server.count("warm-once") == 7


@pytest.mark.untimed
def test_a_service_that_hangs_is_warmed_for_at_most_warmup_max_seconds(server: Server) -> None:
    # five requests of 3 s each, one at a time, would take 15 s
    settings = ProfileSettings(warmup_max_seconds=0.5, request_timeout=10.0)
    slow = Endpoint(score_path="/delay?ms=3000&key=warm-slow")
    started = time.monotonic()
    warm(server.base, [b"{}"] * 5, slow, 1, settings)
    assert time.monotonic() - started < 10.0
    assert server.count("warm-slow") <= 2
