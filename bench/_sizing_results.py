"""Appending one titled table to bench/RESULTS-sizing.md, with the load and the command."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS-sizing.md"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def append(
    title: str, load: str, command: str, headers: Sequence[str], rows: Sequence[Sequence[object]]
) -> str:
    """Append the table (right-aligned columns but the ones named in ``text``) and return it."""
    lines = [
        f"\n## {title}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"`uptime` before: {load} (the machine was shared with other jobs).\n",
        f"Command: {command}\n",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return text
