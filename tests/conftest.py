"""Fixtures every test package may use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """Children that outlive a test are its leak (earlier ones, e.g. another module's
    multiprocessing resource tracker, are not); so are cgroups this process made."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [
        p
        for p in psutil.Process().children(recursive=True)
        # the interpreter's one multiprocessing resource tracker (the load generator
        # starts it with its first process) lives as long as the interpreter
        if p.pid not in before and "multiprocessing.resource_tracker" not in " ".join(p.cmdline())
    ]
    assert left == [], f"processes left behind: {left}"
    for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/cpu")):
        if root.is_dir():
            # only ours: other test processes may hold cgroups of their own right now
            groups = [p for p in root.glob(f"*/servesize-{os.getpid()}-*") if p.is_dir()]
            groups += [p for p in root.glob(f"servesize-{os.getpid()}-*") if p.is_dir()]
            assert groups == [], f"cgroups left behind: {groups}"
