"""Fixtures: a real HTTP server process on loopback and a port nobody listens on."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = Path(__file__).with_name("fixture_server.py")


class Server:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, key: str) -> int:
        with urllib.request.urlopen(self.url(f"/count?of={key}"), timeout=10) as response:
            return int(response.read())


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    proc = subprocess.Popen([sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield Server(port)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A port bound but not listening for the whole test: connecting to it is refused.
    Held, not released: a released port can be taken by another test's server (tests
    run in parallel) or be the very port a connect picks as its source (a TCP
    self-connection), and a load run against it then hung (the parallel run of
    2026-12-06, test_dead_port_gives_connect_errors)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port
