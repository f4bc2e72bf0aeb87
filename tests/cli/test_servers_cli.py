"""``servesize model profile --server-cmd / --url`` from the command line."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from .conftest import Run

APPS = Path(__file__).parents[1] / "profiling" / "servers"
FAST = [
    "--duration", "2s", "--min-queries", "20", "--qps", "20",
    "--setting", "capacity_step_seconds=1.5", "--setting", "stable_windows=2",
    "--setting", "max_concurrency=1", "--setting", "sizing=false",
]  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_mistakes_are_one_line(run: Run, files: Path) -> None:
    assert run("dataset", "register", "-n", "d", "-f", str(files / "requests.txt")).code == 0
    port = _closed_port()
    for args, code, message in [
        (["--server-cmd", "x", "--url", "http://127.0.0.1:1/"], 2, "exactly one of"),
        (["--entry-script", "s.py"], 2, "--model"),
        (["--server-cmd", "x {port}", "--pid", "1"], 2, "--pid and --allow-remote go with --url"),
        (["--server-cmd", "no-such-server-x {port}"], 3, "server command not found"),
        (["--server-cmd", "x 'open"], 2, "cannot split the server command"),
        (["--server-cmd", "x", "--score-path", "predict"], 2, "must start with '/'"),
        (["--url", f"http://127.0.0.1:{port}/score"], 6, "nothing listens at"),
        (["--url", "http://192.0.2.1:80/score"], 2, "--allow-remote"),
    ]:
        result = run("model", "profile", "-n", "p", "--idi", "d", *args)
        assert result.code == code, (args, result.err)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, (args, result.err)
        assert message in lines[0], (args, lines)


@pytest.mark.slow
@pytest.mark.untimed
def test_server_cmd_profile_from_the_cli(run: Run, files: Path, tmp_path: Path) -> None:
    assert run("dataset", "register", "-n", "d", "-f", str(files / "requests.txt")).code == 0
    out = tmp_path / "details.json"
    command = f"{sys.executable} {APPS / 'stdlib_server.py'} {{port}}"
    result = run(
        "model", "profile", "-n", "srv", "--idi", "d", "--server-cmd", command,
        "--score-path", "/predict", "--health-path", "/health", "--cc", "1",
        "-t", str(out), *FAST, "--setting", "confirm=false",
    )  # fmt: skip
    assert result.code == 0, result.err
    details = json.loads(out.read_text())
    assert details["state"] == "Succeeded"
    assert details["server"]["command"] == command
    assert details["successRate"] == 1.0
