"""The rule that keeps profile tests out of the parallel part unless they say so
(tests/measuring.py): what it finds."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import measuring
from servesize.load import LoadSpec, run_load
from servesize.workspace import Store


@pytest.mark.untimed  # the rule finds the log this test writes: it must say which part it is
def test_a_profile_log_is_found_beside_its_workspace_and_built_environments_are_skipped(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "deep" / "ws")
    store.datasets.register("rows", ["{}"])  # the database is written on first use
    log = store.profile_log_path("p")
    log.write_text("a profile's log\n")
    decoy = tmp_path / "ws2" / "envs" / "abc" / "ws"  # inside a built environment
    hidden = Store.open(decoy)
    hidden.datasets.register("rows", ["{}"])
    hidden.profile_log_path("q").write_text("not searched\n")
    assert measuring.profile_logs(tmp_path) == [log]
    assert measuring.profile_logs(tmp_path, depth=1) == []


def test_a_workspace_without_profile_logs_is_nothing(tmp_path: Path) -> None:
    Store.open(tmp_path / "ws").datasets.register("rows", ["{}"])
    assert measuring.profile_logs(tmp_path) == []


@pytest.mark.untimed
def test_the_load_generator_is_seen_when_it_runs(dead_port: int) -> None:
    measuring.forget()
    run_load(LoadSpec(f"http://127.0.0.1:{dead_port}/", [b"x"], rate=20, duration=0.2))
    assert measuring._seen == {"the load generator"}


@pytest.fixture
def dead_port() -> Iterator[int]:
    """Bound, not listening, held for the test: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
