"""Fixtures: both servers per entry script, started once and stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .serving_helpers import Pairs


@pytest.fixture(scope="session")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pairs]:
    found = Pairs(tmp_path_factory.mktemp("pairs"))
    try:
        yield found
    finally:
        found.close()
