"""Shared values and checks of the environment tests."""

from __future__ import annotations

import sys
from pathlib import Path

SERVESIZE = Path(sys.executable).parent / "servesize"

#: A tiny pure-Python package that servesize's own environment does not have.
SIX = "six==1.16.0"


def envs_dir(workspace: Path) -> Path:
    return workspace / "envs"


def built_keys(workspace: Path) -> list[str]:
    root = envs_dir(workspace)
    return (
        sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
        if root.is_dir()
        else []
    )


def leftovers(workspace: Path) -> list[str]:
    root = envs_dir(workspace)
    return sorted(p.name for p in root.glob(".tmp-*")) if root.is_dir() else []
