"""Fixtures: both servers per entry script, started once and stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from serving_helpers import AZMLINFSRV, SCRIPTS, Server, start_azmlinfsrv, start_servesize

TIMEOUT_ENV = {"SCORING_TIMEOUT_MS": "300"}


def require_azmlinfsrv() -> str:
    if not os.access(AZMLINFSRV, os.X_OK):
        message = f"azmlinfsrv not found at {AZMLINFSRV} (set SERVESIZE_AZMLINFSRV)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AZMLINFSRV


class Pairs:
    """(azmlinfsrv, servesize) per script, started on first use, with the same environment.

    ``azmlinfsrv`` finds the reference server's executable (or skips/fails the test).
    """

    def __init__(
        self,
        root: Path,
        env: dict[str, str] | None = None,
        azmlinfsrv: Callable[[], str] = require_azmlinfsrv,
    ) -> None:
        self.root = root
        self.env = TIMEOUT_ENV if env is None else env
        self.azmlinfsrv = azmlinfsrv
        self.started: dict[str, tuple[Server, Server]] = {}

    def get(self, script: str) -> tuple[Server, Server]:
        if script not in self.started:
            exe = self.azmlinfsrv()
            path = SCRIPTS / f"{script}.py"
            ours = start_servesize(path, self.root / script / "servesize", self.env)
            try:
                theirs = start_azmlinfsrv(path, self.root / script / "azml", self.env, exe=exe)
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
