"""Helpers for environment builds: real uv, real PyPI packages, real CLI processes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from .env_helpers import SERVESIZE


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def cli(workspace: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli("environment", "build", "e", env={...})``: the real command in a process."""

    def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full = {**os.environ, "SERVESIZE_WORKSPACE": str(workspace), "COLUMNS": "200"}
        full.update(env or {})
        return subprocess.run(
            [str(SERVESIZE), *args], env=full, capture_output=True, text=True, timeout=300
        )

    return run


@pytest.fixture
def requirements(tmp_path: Path) -> Callable[..., Path]:
    """``requirements("six==1.16.0", ...)``: a requirements file."""

    def write(*lines: str, name: str = "requirements.txt") -> Path:
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
