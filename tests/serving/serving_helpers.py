"""Starting real scoring servers (servesize and azmlinfsrv) for the tests, with cleanup."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent / "scripts"
AZMLINFSRV = os.environ.get("SERVESIZE_AZMLINFSRV", "/work/main/.venv-azml/bin/azmlinfsrv")
_LISTENING = re.compile(r"Listening at http://([\d.]+):(\d+)")


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    log: Path
    host: str = "127.0.0.1"
    port: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(
    argv: list[str], workdir: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: cleanup reaches every worker
        )
    return proc, log


def start_servesize(
    script: Path,
    workdir: Path,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    deadline: float = 30.0,
) -> Server:
    argv = [sys.executable, "-m", "servesize.serving", "--entry-script", str(script), "--port", "0"]
    return wait_for_port(argv + (args or []), workdir, env, deadline)


def wait_for_port(
    argv: list[str], workdir: Path, env: dict[str, str] | None = None, deadline: float = 30.0
) -> Server:
    """Spawn a servesize host (any command line) and wait until it is listening and healthy."""
    proc, log = _spawn(argv, workdir, env or {})
    server = Server(proc, log)
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        match = _LISTENING.search(log.read_text(errors="replace"))
        if match:
            server.host, server.port = match.group(1), int(match.group(2))
            _wait_healthy(server, end)
            return server
        if proc.poll() is not None:
            raise RuntimeError(f"servesize exited {proc.returncode}:\n{server.log_text()}")
        time.sleep(0.02)  # polling the log file for the port, bounded by the deadline
    server.stop()
    raise RuntimeError(f"servesize did not start:\n{server.log_text()}")


def start_azmlinfsrv(
    script: Path,
    workdir: Path,
    env: dict[str, str] | None = None,
    deadline: float = 60.0,
    exe: str = AZMLINFSRV,
) -> Server:
    port = free_port()
    argv = [exe, "--entry_script", str(script), "--port", str(port)]
    proc, log = _spawn(argv, workdir, env or {})
    server = Server(proc, log, port=port)
    _wait_healthy(server, time.monotonic() + deadline)
    return server


def _wait_healthy(server: Server, end: float) -> None:
    while time.monotonic() < end:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited {server.proc.returncode}:\n{server.log_text()}")
        try:
            if server.request("GET", "/").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)  # readiness poll, bounded by the deadline
    server.stop()
    raise RuntimeError(f"server not healthy in time:\n{server.log_text()}")


def run_to_exit(
    argv: list[str], workdir: Path, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    workdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        argv,
        cwd=workdir,
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=60,
        check=False,
    )
    return (
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


TIMEOUT_ENV = {"SCORING_TIMEOUT_MS": "300"}


def require_azmlinfsrv() -> str:
    if not os.access(AZMLINFSRV, os.X_OK):
        message = f"azmlinfsrv not found at {AZMLINFSRV} (set SERVESIZE_AZMLINFSRV)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AZMLINFSRV


class Pairs:
    """(azmlinfsrv, servesize) per script, started on first use, with the same environment.

    ``azmlinfsrv`` finds the reference server's executable (or skips/fails the test).
    """

    def __init__(
        self,
        root: Path,
        env: dict[str, str] | None = None,
        azmlinfsrv: Callable[[], str] = require_azmlinfsrv,
    ) -> None:
        self.root = root
        self.env = TIMEOUT_ENV if env is None else env
        self.azmlinfsrv = azmlinfsrv
        self.started: dict[str, tuple[Server, Server]] = {}

    def get(self, script: str) -> tuple[Server, Server]:
        if script not in self.started:
            exe = self.azmlinfsrv()
            path = SCRIPTS / f"{script}.py"
            ours = start_servesize(path, self.root / script / "servesize", self.env)
            try:
                theirs = start_azmlinfsrv(path, self.root / script / "azml", self.env, exe=exe)
            except BaseException:
                ours.stop()
                raise
            self.started[script] = (theirs, ours)
        return self.started[script]

    def close(self) -> None:
        for pair in self.started.values():
            for server in pair:
                server.stop()
