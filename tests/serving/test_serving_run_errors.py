"""run() failures are logged in full once, then counted (issue 13, item 4)."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from servesize.serving import read_run_errors

from .serving_helpers import SCRIPTS, Server, start_servesize

COMMON = "could not convert string to float: 'n/a'"


def _send(server: Server, bodies: list[bytes]) -> list[int]:
    """POST each body on one keep-alive connection; the statuses."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    statuses = []
    try:
        for body in bodies:
            conn.request("POST", "/score", body=body)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    return statuses


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_repeats_are_counted_not_logged(tmp_path: Path, workers: str) -> None:
    server = start_servesize(SCRIPTS / "rejecting.py", tmp_path, args=["--workers", workers])
    try:
        bodies = [b"n/a"] * 1000 + [b"unique-%d" % i for i in range(150)] + [b"ok"]
        statuses = _send(server, bodies)
    finally:
        assert server.stop() == 0
    assert statuses == [500] * 1150 + [200]
    log = server.log.read_text()
    assert len(log) < 200_000  # one traceback per request was ~1 KB each
    assert log.count("Traceback (most recent call last)") <= 10 * int(workers)
    counts = {(e["type"], e["message"]): e["count"] for e in read_run_errors(server.log)}
    assert counts[("ValueError", COMMON)] == 1000
    # the first distinct messages are kept; past 100 per worker they are pooled per type
    assert sum(c for (t, _), c in counts.items() if t == "KeyError") == 150
    assert counts[("KeyError", "'unique-0'")] == 1
    assert ("KeyError", "(other messages)") in counts
    if workers == "1":
        assert "ValueError: " + COMMON + " -- 100 times so far" in log
        assert "-- 1000 times so far" in log


def test_read_run_errors_ignores_look_alikes(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text(
        'x run() errors: {"type": "E", "message": "m", "count": 2}\n'
        "run() errors: not json\n"
        'run() errors: {"type": "E", "message": "m", "count": 3}\n'
        'print("run() errors: {}")\n'
    )
    assert read_run_errors(log) == [{"type": "E", "message": "m", "count": 5}]
    assert read_run_errors(tmp_path / "missing") == []
