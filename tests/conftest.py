"""Fixtures every test package may use."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import psutil
import pytest

import measuring


def pytest_configure(config: pytest.Config) -> None:
    measuring.install_spies()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In pytest-xdist's workers (the parallel part of `make test`), the modules with the
    most `slow` tests first: a worker takes a module whole (``--dist loadfile``), and a
    long module dealt out last would keep one worker busy while the others idle."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    slow: dict[Path, int] = {}
    for item in items:
        slow[item.path] = slow.get(item.path, 0) + (item.get_closest_marker("slow") is not None)
    items.sort(key=lambda item: -slow[item.path])  # stable: each module keeps its order


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    measuring.forget()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """``no_cover`` tests run untraced in pytest-xdist's workers too.

    pytest-cov 7.1 pauses only its own measurement there, and the worker's coverage went
    on tracing: measured, the 4 M-result test took 10.6 s on one worker instead of 3.0 s.
    Every running measurement is stopped for the test and started again after it."""
    if item.get_closest_marker("no_cover") is None:
        return (yield)
    import coverage

    stopped = []
    while (current := coverage.Coverage.current()) is not None:
        current.stop()
        stopped.append(current)
    try:
        return (yield)
    finally:
        for cov in reversed(stopped):
            cov.start()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that ran profiles or load says whether it measures (tests/measuring.py)."""
    report = yield
    if call.when == "call" and report.passed:
        problem = measuring.unclassified(item)
        if problem is not None:
            report.outcome = "failed"
            report.longrepr = problem
    return report


@pytest.fixture(autouse=True, scope="session")
def _shared_uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One uv cache for every environment build of the run, all workers' (each test's
    workspace would otherwise download the same wheels again); tests of a cold cache
    set SERVESIZE_UV_CACHE_DIR to ''. uv locks its cache for concurrent builds."""
    base = tmp_path_factory.getbasetemp()
    # pytest-xdist's workers have their basetemp under the run's (popen-gwN)
    cache = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "uv-cache"
    cache.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SERVESIZE_UV_CACHE_DIR", str(cache))
        yield


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
