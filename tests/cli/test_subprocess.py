"""The installed console script and ``python -m servesize``, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SERVESIZE = Path(sys.executable).parent / "servesize"


def _run(argv: list[str], workspace: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVESIZE_WORKSPACE": str(workspace)}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_console_script_registers_and_lists(tmp_path: Path, files: Path) -> None:
    workspace = tmp_path / "env-ws"  # chosen by SERVESIZE_WORKSPACE, not --workspace
    exe = [str(SERVESIZE)] if SERVESIZE.exists() else [sys.executable, "-m", "servesize"]
    done = _run([*exe, "model", "register", "-n", "m", "-p", str(files / "model.bin")], workspace)
    assert (done.returncode, done.stdout) == (0, "m:1\n"), done.stderr
    done = _run([sys.executable, "-m", "servesize", "model", "list", "--json"], workspace)
    assert json.loads(done.stdout)[0]["id"] == "m:1"
    assert (workspace / "servesize.db").is_file()


def test_a_mistake_in_a_real_process_is_one_line(tmp_path: Path, files: Path) -> None:
    done = _run(
        [
            sys.executable,
            "-m",
            "servesize",
            "dataset",
            "register",
            "-n",
            "d",
            "-f",
            str(files / "empty.txt"),
        ],
        tmp_path / "ws",
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "no rows" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    done = _run(
        [sys.executable, "-m", "servesize", "model", "show", "-i", "m"], tmp_path / "missing"
    )
    assert done.returncode == 3
    assert done.stderr.strip() == f"error: no workspace at {tmp_path / 'missing'}"
