"""Streamed answers on the wire, against azmlinfsrv (script rawhttp_stream.py).

``AMLResponse(generator)`` is answered with chunked transfer encoding, one chunk per
item as it is produced.  http.client hides chunk boundaries and raises on a cut body,
so these tests read raw sockets and compare the bytes.  The script's rows can wait on
a named pipe in the server's working directory: the test holds the generator there and
reads what already arrived, with no sleeps.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from .serving_helpers import Pairs, Server

SCRIPT = "rawhttp_stream"
VOLATILE = re.compile(
    rb"^(date|server|x-request-id|x-ms-request-id|x-ms-run-fn-exec-ms|x-ms-server-version):",
    re.IGNORECASE,
)


def _request(
    body: bytes, path: str = "/score", version: str = "1.1", method: str = "POST"
) -> bytes:
    head = (
        f"{method} {path} HTTP/{version}\r\nHost: localhost\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _connect(server: Server) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=30)


def _read_to_end(sock: socket.socket, received: bytes = b"") -> bytes:
    while data := sock.recv(65536):
        received += data
    return received


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    received = b""
    while marker not in received:
        data = sock.recv(65536)
        assert data, f"connection closed before {marker!r}: {received!r}"
        received += data
    return received


def _exchange(server: Server, request: bytes) -> bytes:
    with _connect(server) as sock:
        sock.sendall(request)
        return _read_to_end(sock)


def _normalised(raw: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(status code and phrase, sorted stable header lines, body bytes as sent)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    kept = sorted(line for line in lines if not VOLATILE.match(line))
    return status.split(b" ", 1)[1], kept, body


@contextlib.contextmanager
def _gate(server: Server, name: str) -> Iterator[int]:
    """A named pipe in the server's working directory; writing a line opens it.

    Opened read-write, so neither side's open blocks; the pipe keeps what is written
    until the generator reads it.
    """
    path = Path(server.log.parent) / name
    if not path.exists():
        os.mkfifo(path)
    fd = os.open(path, os.O_RDWR)
    try:
        yield fd
    finally:
        with contextlib.suppress(OSError):
            os.write(fd, b"go\n")  # never leave a generator blocked, whatever happened
        os.close(fd)


ROWS = b'{"rows": [{"data": [1, 2]}, {"data": [3, 4]}, {"data": []}]}'
WIRE_CASES = {
    "str-chunks": _request(ROWS),
    "bytes-chunks": _request(ROWS, "/score?kind=bytes"),
    "no-rows": _request(b'{"rows": []}'),
    "http-1.0-unframed": _request(ROWS, version="1.0"),
    "get": _request(b"", method="GET"),
    "head-never-starts-it": _request(b"", method="HEAD"),
    "first-row-fails": _request(b'{"rows": [{"fail": true}, {"data": [1]}]}'),
    "second-row-fails": _request(b'{"rows": [{"data": [1]}, {"fail": true}, {"data": [2]}]}'),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(WIRE_CASES))
def test_streamed_bytes_as_azmlinfsrv_sends_them(pairs: Pairs, name: str) -> None:
    theirs, ours = pairs.get(SCRIPT)
    request = WIRE_CASES[name]
    expected, got = _normalised(_exchange(theirs, request)), _normalised(_exchange(ours, request))
    assert got == expected
    if name == "str-chunks":  # one chunk per row, then the terminating chunk
        assert got[2] == b'B\r\n{"sum": 3}\n\r\nB\r\n{"sum": 7}\n\r\nB\r\n{"sum": 0}\n\r\n0\r\n\r\n'
    if name == "second-row-fails":  # cut after the first row: no terminating chunk
        assert got[2] == b'B\r\n{"sum": 1}\n\r\n'
    if name == "first-row-fails":  # gunicorn's own page: nothing of the service's
        assert got[0] == b"500 Internal Server Error"
        assert b"Content-Type: text/html" in got[1]


@pytest.mark.slow
def test_a_failing_generator_is_logged(pairs: Pairs) -> None:
    _, ours = pairs.get(SCRIPT)
    _exchange(ours, _request(b'{"rows": [{"data": [1]}, {"fail": "logged"}]}'))
    log = ours.log_text()
    assert "Exception in the streamed response of run(); the response is cut" in log
    assert "ValueError: row {'fail': 'logged'} cannot be scored" in log


@pytest.mark.slow
def test_the_first_row_arrives_while_the_generator_waits(pairs: Pairs) -> None:
    body = b'{"rows": [{"data": [1, 2]}, {"await": "gate-first-row", "data": [30]}]}'
    for server in pairs.get(SCRIPT):
        with _gate(server, "gate-first-row") as gate, _connect(server) as sock:
            sock.sendall(_request(body))
            first = _read_until(sock, b'{"sum": 3}\n\r\n')
            # The generator is blocked on the gate: its second row does not exist yet.
            assert b"Transfer-Encoding: chunked" in first
            assert not first.endswith(b"0\r\n\r\n")
            os.write(gate, b"go\n")
            whole = _read_to_end(sock, first)
        assert whole.endswith(b'\r\n{"sum": 3}\n\r\nC\r\n{"sum": 30}\n\r\n0\r\n\r\n'), server


@pytest.mark.slow
def test_a_client_leaving_mid_stream_closes_the_generator(pairs: Pairs) -> None:
    rows = [b'{"data": [1]}', b'{"await": "gate-leave", "data": [2]}'] + [b'{"data": [3]}'] * 4
    body = b'{"rows": [' + b", ".join(rows) + b"]}"
    for server in pairs.get(SCRIPT):
        with _gate(server, "gate-leave") as gate:
            sock = _connect(server)
            sock.sendall(_request(body))
            _read_until(sock, b'{"sum": 1}\n\r\n')
            # Leave with a reset, as a client that gave up does; then let the rows come.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            os.write(gate, b"go\n")
            # One request at a time per worker: this answer comes after the stream ended.
            after = _exchange(server, _request(b'{"rows": [{"data": [5]}]}'))
        assert after.split(b"\r\n")[0].endswith(b" 200 OK")
        stopped = re.findall(r"scored (\d) of 6 rows", server.log_text())
        assert stopped, server.log_text()[-2000:]
        assert int(stopped[0]) < 6  # closed early, not run to its end
