"""Which tests measure: the rule that keeps a test of real profiles or load out of the
parallel part of the suite unless its author says it may be there.

``make test`` runs the suite in two parts (docs/development.md, "How the suite is
split"): first every test not marked ``timing``, several at a time (pytest-xdist), then
the ``timing`` tests one at a time, alone on the machine. A test that runs the load
generator or the resource sampler (a profile runs both) says which part it belongs to:

- ``timing`` (on the test, its class or its module): what it asserts depends on getting
  the CPU on time (a verdict of VALID, a rate, a latency, a CPU share, a sizing search,
  whose trials are judged for contention), so it runs alone;
- ``untimed`` on the test function itself: it asserts nothing a busy CPU can change
  (states, keys, errors, counts, files), so it may share the CPU. It is not inherited
  from the module, so every new test of profiles is classified where it is written.

A test with neither fails and says so: a new profile test cannot land in the parallel
part unnoticed. What the check sees, in the test's own process (setup and call): the
sampler started, the load generator's engine prepared or its processes spawned (spies
that call through). In other processes (the CLI in a subprocess, a notebook's kernel,
a Ray worker): a profile's log in a workspace under the test's ``tmp_path``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: What ran in this process since the current test's setup began.
_seen: set[str] = set()

#: Folders the search for workspaces does not enter (built environments, caches).
_SKIP = frozenset({"envs", ".uv-cache", "__pycache__", "site-packages", "node_modules"})


def install_spies() -> None:
    """Wrap the entry points of the sampler and of the load generator (idempotent)."""
    from servesize.load import _engine, _multi
    from servesize.profiling import sampler

    _spy(sampler.Sampler, "start", "the resource sampler")
    _spy(_engine.Engine, "prepare", "the load generator")
    _spy(_multi, "_spawn", "the load generator's processes")


def _spy(owner: Any, name: str, what: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)
    if getattr(original, "_measuring_spy", False):
        return

    @functools.wraps(original)
    def spy(*args: Any, **kwargs: Any) -> Any:
        _seen.add(what)
        return original(*args, **kwargs)

    spy._measuring_spy = True  # type: ignore[attr-defined]
    setattr(owner, name, spy)


def forget() -> None:
    """A new test begins (before its fixtures are set up)."""
    _seen.clear()


def profile_logs(root: Path, depth: int = 4) -> list[Path]:
    """Profile logs (``<workspace>/logs/*.log`` beside its ``servesize.db``) under
    ``root``, at most ``depth`` folders down."""
    found: list[Path] = []
    stack = [(root, 0)]
    while stack:
        folder, level = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        names = {entry.name for entry in entries}
        if "servesize.db" in names and "logs" in names:
            found += sorted((folder / "logs").glob("*.log"))
        if level < depth:
            stack += [
                (Path(entry.path), level + 1)
                for entry in entries
                if entry.name not in _SKIP and entry.is_dir(follow_symlinks=False)
            ]
    return found


def unclassified(item: pytest.Item) -> str | None:
    """Why ``item`` (which passed) fails the rule above, or None."""
    timing = item.get_closest_marker("timing") is not None
    untimed = any(mark.name == "untimed" for mark in item.own_markers)
    if timing and untimed:
        return f"{item.nodeid} is marked both `timing` and `untimed`: it is one or the other"
    if timing or untimed:
        return None
    ran = sorted(_seen)
    tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
    if not ran and isinstance(tmp_path, Path):
        logs = profile_logs(tmp_path)
        if logs:
            ran = [f"a profile (its log: {logs[0]})"]
    if not ran:
        return None
    return (
        f"{item.nodeid} ran {' and '.join(ran)} but is marked neither `timing` (it asserts "
        "what a busy CPU can change: it runs alone) nor `untimed` on the test function (it "
        "asserts nothing of the kind: it may run in parallel); see docs/development.md, "
        '"How the suite is split"'
    )
