"""Fixtures for the limits, launcher and sampler tests: real child processes, real
cgroups, and a guarantee that nothing we start outlives its test."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from servesize.profiling import Service, detect, launch
from servesize.workspace import Store

from .limits_helpers import CHILDREN, cgroups_writable, gone


@pytest.fixture
def cgroup_only() -> None:
    if not cgroups_writable():
        pytest.skip(f"no writable cgroups with cpu and memory: {detect().reason}")


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """``start("busy.py", *args, **launch_kwargs)``: launch a child script; every
    service is stopped at the end of the test and must leave no cgroup behind."""
    services: list[Service] = []

    def run(script: str, *args: str, **kwargs: Any) -> Service:
        kwargs.setdefault("log_path", tmp_path / f"{script}.log")
        service = launch(
            [sys.executable, str(CHILDREN / script), *args], env={}, cwd=tmp_path, **kwargs
        )
        services.append(service)
        return service

    try:
        yield run
    finally:
        for service in services:
            service.stop(timeout=1)
        leftovers = [
            d for s in services if s.cgroup is not None for d in s.cgroup.dirs if d.exists()
        ]
        assert not leftovers, f"cgroup directories left behind: {leftovers}"
        assert all(gone(s.pid) for s in services)


@pytest.fixture
def no_own_cgroups() -> Iterator[None]:
    """Fail if a test leaves a ``servesize-<our pid>-*`` cgroup anywhere."""
    yield
    support = detect()
    prefix = f"servesize-{os.getpid()}-"
    left = [
        entry
        for parent in set(support.parents.values())
        if parent.is_dir()
        for entry in parent.iterdir()
        if entry.name.startswith(prefix)
    ]
    assert not left, f"cgroups left behind: {left}"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A workspace with model ``m`` and datasets of 20 rows (some rejected, one hanging)."""
    store = Store.open(tmp_path / "ws")
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"weights")
    store.models.register("m", weights)
    rows = [json.dumps({"data": [[i, i + 1]]}) for i in range(20)]
    store.datasets.register("rows", rows)
    store.datasets.register("some-bad", [*rows[:8], '{"bad": 1}', *rows[8:10]])
    store.datasets.register("some-hang", [*rows[:10], '{"hang": 1}'])
    return store
