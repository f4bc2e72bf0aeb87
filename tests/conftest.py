"""Fixtures every test package may use."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
import pytest


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """Children that outlive a test are its leak (earlier ones, e.g. another module's
    multiprocessing resource tracker, are not)."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert left == [], f"processes left behind: {left}"
