"""Where the workspace is when none is named: the one module the command line needs to
declare ``--workspace``, kept free of the registries (SQLite, the figures)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_WORKSPACE", "default_workspace_path"]

DEFAULT_WORKSPACE = Path(".servesize")


def default_workspace_path() -> Path:
    """``$SERVESIZE_WORKSPACE`` or ``.servesize`` in the current directory."""
    return Path(os.environ.get("SERVESIZE_WORKSPACE") or DEFAULT_WORKSPACE)
