"""What the internet sends: slow and idle clients, too many connections, odd statuses,
SIGTERM at any point (issue 13, item 5). Real servers on loopback, raw sockets."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest

from .serving_helpers import SCRIPTS, Server, _spawn, start_servesize, wait_for_port

TIMEOUTS = ["--header-timeout", "0.5", "--keep-alive-timeout", "1"]
HOST = [sys.executable, "-m", "servesize.serving", "--entry-script"]
REQUEST = b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Short timeouts, five connections at most, an access log."""
    server = start_servesize(
        SCRIPTS / "plain.py",
        tmp_path_factory.mktemp("quick"),
        args=[*TIMEOUTS, "--max-connections", "5", "--access-log"],
    )
    try:
        yield server
    finally:
        server.stop()


def _connect(server: Server) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=10)


def _read_to_eof(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _serves(server: Server) -> None:
    assert server.request("POST", "/score", b"still").status == 200


@pytest.mark.timing
def test_half_a_header_gets_408_after_the_header_timeout(quick: Server) -> None:
    with _connect(quick) as sock:
        start = time.monotonic()
        sock.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nX-Half: ")
        answer = _read_to_eof(sock)
        waited = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert 0.4 < waited < 5
    _serves(quick)


@pytest.mark.timing
def test_trickling_bytes_does_not_extend_the_header_timeout(quick: Server) -> None:
    with _connect(quick) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        start = time.monotonic()
        sock.settimeout(0.1)
        answer = b""
        while time.monotonic() - start < 5 and not answer:
            try:
                sock.sendall(b"X-Slow: 1\r\n")  # a slowloris client: a line every 0.1 s
                answer = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - start < 3


def test_a_stalled_body_gets_408(quick: Server) -> None:
    with _connect(quick) as sock:
        sock.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        assert _read_to_eof(sock).startswith(b"HTTP/1.1 408 ")


@pytest.mark.timing
def test_idle_connections_are_closed(quick: Server) -> None:
    with _connect(quick) as silent, _connect(quick) as kept:
        kept.sendall(REQUEST)
        start = time.monotonic()
        answer = _read_to_eof(kept)  # the answer, then EOF at the keep-alive timeout
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert 0.9 < time.monotonic() - start < 5
        assert _read_to_eof(silent) == b""  # never sent a byte: closed, no answer
    _serves(quick)


def test_connections_beyond_the_cap_get_503(quick: Server) -> None:
    held = [_connect(quick) for _ in range(5)]
    try:
        for sock in held:  # each answered: all five are really open in the worker
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
        with _connect(quick) as extra:
            answer = _read_to_eof(extra)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert b"Too many open connections" in answer
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while True:  # the worker notices the closes on its next loop turn
        try:
            _serves(quick)
            break
        except (AssertionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # bounded retry while the closed sockets are reaped


def test_access_log_has_one_line_per_request(quick: Server) -> None:
    assert quick.request("POST", "/score?probe=access", b"x").status == 200
    wanted = '127.0.0.1 "POST /score?probe=access HTTP/1.1" 200 '
    deadline = time.monotonic() + 10
    # the line is written after the answer is sent: wait for it, within a deadline
    while not any(
        wanted in line
        for line in quick.log_text().splitlines()
        if "servesize.serving.access" in line
    ):
        assert time.monotonic() < deadline, quick.log_text()
        time.sleep(0.05)


def test_no_access_log_by_default(tmp_path: Path) -> None:
    server = start_servesize(SCRIPTS / "plain.py", tmp_path)
    try:
        _serves(server)
    finally:
        server.stop()
    assert "servesize.serving.access" not in server.log_text()


@pytest.fixture(scope="module")
def status_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_servesize(SCRIPTS / "status_code.py", tmp_path_factory.mktemp("status"))
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("code", [200, 201, 202, 301, 400, 404, 409, 418, 422, 429, 451, 503])
def test_reason_phrases(status_server: Server, code: int) -> None:
    with _connect(status_server) as sock:
        sock.sendall(f"GET /score?code={code} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status_line = sock.recv(65536).split(b"\r\n", 1)[0]
    assert status_line == f"HTTP/1.1 {code} {HTTPStatus(code).phrase}".encode()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workers", "where", "marker"),
    [("1", "init", "INIT-BEGUN"), ("1", "import", "START-BEGUN"), ("2", "init", "INIT-BEGUN")],
)
def test_sigterm_during_start_up_exits_cleanly(
    tmp_path: Path, workers: str, where: str, marker: str
) -> None:
    argv = [*HOST, str(SCRIPTS / "slow_start.py"), "--port", "0", "--workers", workers]
    proc, log = _spawn(argv, tmp_path, {"SLOW_START": where})
    try:
        deadline = time.monotonic() + 30
        while log.read_text().count(marker) < int(workers):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)  # polling the log for the start-up marker, bounded
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log.read_text()
    assert "Traceback" not in text
    assert "Server stopped" in text


def test_sigterm_while_serving_exits_cleanly(tmp_path: Path) -> None:
    server = wait_for_port([*HOST, str(SCRIPTS / "plain.py"), "--port", "0"], tmp_path)
    with _connect(server) as idle:
        idle.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\n")  # mid-request when stopped
        assert server.stop() == 0
        assert _read_to_eof(idle) == b""
    assert "Traceback" not in server.log_text()


def test_a_204_has_no_body_and_keep_alive_goes_on(status_server: Server) -> None:
    with _connect(status_server) as sock:
        sock.sendall(
            b"GET /score?code=204 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /score?code=200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answer = _read_to_eof(sock)
    first, second = answer.split(b"HTTP/1.1 200 OK\r\n")
    assert first.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert first.endswith(b"\r\n\r\n")
    assert b"Content-Length" not in first
    assert second.endswith(b"as asked")
