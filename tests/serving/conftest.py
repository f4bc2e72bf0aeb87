"""Fixtures: both servers per entry script, started once and stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .serving_helpers import AZMLINFSRV, SCRIPTS, Server, start_azmlinfsrv, start_servesize

TIMEOUT_ENV = {"SCORING_TIMEOUT_MS": "300"}


def require_azmlinfsrv() -> None:
    if not os.access(AZMLINFSRV, os.X_OK):
        message = f"azmlinfsrv not found at {AZMLINFSRV} (set SERVESIZE_AZMLINFSRV)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


class Pairs:
    """(azmlinfsrv, servesize) per script, started on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: dict[str, tuple[Server, Server]] = {}

    def get(self, script: str) -> tuple[Server, Server]:
        if script not in self.started:
            require_azmlinfsrv()
            path = SCRIPTS / f"{script}.py"
            ours = start_servesize(path, self.root / script / "servesize", TIMEOUT_ENV)
            try:
                theirs = start_azmlinfsrv(path, self.root / script / "azml", TIMEOUT_ENV)
            except BaseException:
                ours.stop()
                raise
            self.started[script] = (theirs, ours)
        return self.started[script]

    def close(self) -> None:
        for pair in self.started.values():
            for server in pair:
                server.stop()


@pytest.fixture(scope="session")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pairs]:
    found = Pairs(tmp_path_factory.mktemp("pairs"))
    try:
        yield found
    finally:
        found.close()
