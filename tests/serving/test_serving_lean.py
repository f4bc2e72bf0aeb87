"""The process hosting score.py imports only what serving needs (issue 9, item 2).

The modules are read from inside the real worker, by a score.py that returns
``sorted(sys.modules)``, for both ways of starting the host.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .serving_helpers import SCRIPTS, Server, start_servesize, wait_for_port

#: Packages the host must never carry: they would count as the model's memory.
FORBIDDEN_ROOTS = {"numpy", "rich", "typer", "click", "yaml", "psutil", "sqlite3", "_sqlite3"}
FORBIDDEN_PACKAGES = (
    "servesize.cli",
    "servesize.sdk",
    "servesize.profiling",
    "servesize.workspace",
    "servesize.report",
    "servesize.load",
)


def _forbidden(modules: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if m.split(".")[0] in FORBIDDEN_ROOTS
        or any(m == p or m.startswith(p + ".") for p in FORBIDDEN_PACKAGES)
    ]


def _modules(server: Server) -> list[str]:
    reply = server.request("POST", "/score", b"x")
    assert reply.status == 200, reply.body
    modules: list[str] = json.loads(reply.body)["modules"]
    assert "servesize.serving._worker" in modules  # really read from the host
    return modules


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_python_m_serving_host_is_lean(tmp_path: Path, workers: str) -> None:
    server = start_servesize(SCRIPTS / "modules.py", tmp_path, args=["--workers", workers])
    try:
        assert _forbidden(_modules(server)) == []
    finally:
        server.stop()


@pytest.mark.slow
def test_cli_serve_execs_the_same_lean_host(tmp_path: Path) -> None:
    cli = Path(sys.executable).parent / "servesize"
    argv = [str(cli), "serve", "--entry-script", str(SCRIPTS / "modules.py"), "--port", "0"]
    server = wait_for_port(argv, tmp_path)
    try:
        modules = _modules(server)
        assert _forbidden(modules) == []
        # exec, not a child: the process the user started is the host itself
        assert json.loads(server.request("POST", "/score", b"x").body)["pid"] == server.proc.pid
        cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[1:3] == [b"-m", b"servesize.serving"]
    finally:
        server.stop()
