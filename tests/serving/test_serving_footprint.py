"""The host's own idle memory, measured on a real no-op host and cached (issue 9)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from servesize.serving import host_idle_memory_bytes

MIB = 1024 * 1024


@pytest.mark.slow
def test_measured_once_then_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = host_idle_memory_bytes(sys.executable, 1)
    assert 5 * MIB < first < 200 * MIB  # a sanity bound; the target lives in bench/host.py
    cache = tmp_path / "servesize" / "host-idle-memory.json"
    (key,) = json.loads(cache.read_text())
    assert key.startswith(f"{sys.executable}|")
    assert key.endswith("|1")
    start = time.perf_counter()
    assert host_idle_memory_bytes(sys.executable, 1) == first
    assert time.perf_counter() - start < 0.5  # read from the cache, no host started
    two = host_idle_memory_bytes(sys.executable, 2)
    assert two > first  # a supervisor and two workers
    assert len(json.loads(cache.read_text())) == 2


def test_a_broken_interpreter_is_an_os_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(OSError, match="no-python"):
        host_idle_memory_bytes(str(tmp_path / "no-python"), 1)
    assert not (tmp_path / "servesize" / "host-idle-memory.json").exists()
