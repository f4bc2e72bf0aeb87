"""Fuzzing the host with malformed and truncated requests (issue 13, item 5).

Hypothesis builds requests from HTTP's parts (methods, targets, versions, headers,
Content-Length and chunked framings, JSON, urlencoded and multipart bodies), then
truncates, corrupts or stalls them.  Each goes to a real server on a fresh connection;
the server must answer with a well-formed status line or close, never a 500 of its own,
and must still serve a valid request afterwards.  ``SERVESIZE_FUZZ_EXAMPLES`` sets how
many inputs are tried (docs/serving.md records a long run).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servesize.serving._aml import AMLRequest, Headers
from servesize.serving._multipart import parse_multipart

from .serving_helpers import SCRIPTS, Server, start_servesize

EXAMPLES = int(os.environ.get("SERVESIZE_FUZZ_EXAMPLES", "300"))
STATUS_LINE = re.compile(rb"HTTP/1\.1 [1-5]\d\d [^\r\n]*\r\n")
INTERNAL = b"An unexpected internal error occurred"
BOUNDARY = b"fz"
TRIED = {"requests": 0, "parsers": 0}
ANSWERS: dict[str, int] = {}  # status code (or "closed") -> count, for the docs

methods = st.sampled_from(
    [b"GET", b"POST", b"HEAD", b"OPTIONS", b"PUT", b"DELETE", b"PATCH", b"CONNECT", b"G T", b""]
) | st.binary(max_size=8)
targets = st.sampled_from(
    [
        b"/",
        b"/score",
        b"/score?probe=form",
        b"/score?probe=json-strict",
        b"/score?probe=save",
        b"/score?probe=data&a=%ZZ&b=%C3",
        b"/swagger.json?version=3.1",
        b"*",
        b"http://x/score",
        b"/score#frag",
        b"/" + b"a" * 5000,
    ]
) | st.binary(max_size=40)
versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.x", b"HTTP/9", b""])
NAMES = [
    b"Host",
    b"Content-Length",
    b"Content-Type",
    b"Transfer-Encoding",
    b"Connection",
    b"Expect",
    b"x-request-id",
    b"x-ms-client-request-id",
    b"Upgrade",
    b"Bad Name",
    b"",
]
header_names = st.sampled_from(NAMES) | st.binary(min_size=1, max_size=12)
VALUES = [
    b"application/json",
    b"multipart/form-data; boundary=" + BOUNDARY,
    b"multipart/form-data",
    b"application/x-www-form-urlencoded",
    b"chunked",
    b"gzip, chunked",
    b"close",
    b"keep-alive",
    b"100-continue",
    b"websocket",
    b"-1",
    b"0",
    b"7",
    b"99999999999999999999",
    b"r" * 150,
]
header_values = st.sampled_from(VALUES) | st.binary(max_size=30)
#: what a well-framed request may add: no framing headers, printable values
framed_headers = st.tuples(
    st.sampled_from([b"Content-Type", b"Connection", b"Expect", b"x-request-id", b"Upgrade"]),
    st.sampled_from(VALUES),
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b'{"a": [1, 2]}', b"{bad", b"a=1&b=%FF&a", b"5\r\nhello\r\n0\r\n\r\n"]),
    st.lists(st.tuples(st.binary(max_size=60), st.binary(max_size=40)), max_size=4).map(
        lambda parts: (
            b"".join(b"--" + BOUNDARY + b"\r\n" + h + b"\r\n\r\n" + c + b"\r\n" for h, c in parts)
            + b"--"
            + BOUNDARY
            + b"--\r\n"
        )
    ),
)


@st.composite
def wild_requests(draw: st.DrawFn) -> bytes:
    """Any parts in HTTP's shape: mostly exercises the parser's refusals."""
    line = draw(methods) + b" " + draw(targets) + b" " + draw(versions) + b"\r\n"
    headers = b"".join(
        name + b": " + value + b"\r\n"
        for name, value in draw(st.lists(st.tuples(header_names, header_values), max_size=6))
    )
    body = draw(bodies)
    if draw(st.booleans()):
        headers += b"Content-Length: %d\r\n" % len(body)
    return line + headers + b"\r\n" + body


@st.composite
def framed_requests(draw: st.DrawFn) -> bytes:
    """Well-framed requests with odd contents: reach the routes, AMLRequest, multipart."""
    method = draw(st.sampled_from([b"GET", b"POST", b"POST", b"HEAD", b"OPTIONS"]))
    target = draw(
        st.sampled_from([b"/score", b"/score?probe=form", b"/score?probe=save", b"/"])
        | targets.filter(lambda t: t.startswith(b"/") and b" " not in t)
    )
    body = draw(bodies) if method == b"POST" else b""
    headers = [(b"Host", b"x"), (b"Content-Length", b"%d" % len(body))]
    headers += draw(st.lists(framed_headers, max_size=3))
    head = b"".join(n + b": " + v + b"\r\n" for n, v in headers)
    return method + b" " + target + b" HTTP/1.1\r\n" + head + b"\r\n" + body


@st.composite
def raw_requests(draw: st.DrawFn) -> tuple[bytes, bool]:
    data = draw(st.one_of(wild_requests(), framed_requests(), framed_requests()))
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    if damage == "truncate":
        data = data[:cut]  # truncated anywhere
    elif damage == "flip" and data:
        flip = cut % len(data)  # one corrupted byte
        data = data[:flip] + bytes([data[flip] ^ draw(st.integers(1, 255))]) + data[flip + 1 :]
    # Most half-close (the server sees EOF); some stall and meet the header timeout.
    stall = draw(st.sampled_from([False] * 19 + [True]))
    return data, stall


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_servesize(
        SCRIPTS / "rawhttp_probe.py",
        tmp_path_factory.mktemp("fuzz"),
        args=["--header-timeout", "0.3", "--keep-alive-timeout", "0.3", "--max-body-bytes", "2000"],
    )
    try:
        yield server
    finally:
        server.stop()


def _exchange(server: Server, data: bytes, stall: bool) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        try:
            sock.sendall(data)
            if not stall:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may already have answered and closed
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        return b"".join(chunks)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=raw_requests())
def test_the_server_answers_or_closes_and_keeps_serving(
    fuzzed: Server, case: tuple[bytes, bool]
) -> None:
    data, stall = case
    TRIED["requests"] += 1
    answer = _exchange(fuzzed, data, stall)
    outcome = answer[9:12].decode("latin-1") if answer else "closed"
    ANSWERS[outcome] = ANSWERS.get(outcome, 0) + 1
    if answer:
        assert STATUS_LINE.match(answer), answer[:200]
        assert INTERNAL not in answer, answer[:500]
    assert fuzzed.proc.poll() is None, fuzzed.log_text()[-3000:]
    reply = fuzzed.request("POST", "/score?probe=data", b"still here")
    assert reply.status == 200
    assert b"still here" in reply.body


@settings(max_examples=EXAMPLES * 4, deadline=None, database=None)
@given(
    body=st.binary(max_size=400) | bodies,
    content_type=header_values,
    query=st.binary(max_size=40),
)
def test_request_parsing_never_raises(body: bytes, content_type: bytes, query: bytes) -> None:
    TRIED["parsers"] += 1
    ctype = content_type.decode("latin-1")
    parse_multipart(body, ctype)
    request = AMLRequest("POST", "/score", query, Headers([("Content-Type", ctype)]), body)
    assert isinstance(request.form.to_dict(), dict)
    assert all(f.read() is not None for f in request.files.getlist(next(iter(request.files), "")))
    request.get_json(silent=True)
    assert request.full_path.startswith("/score?")


def test_report_how_many_inputs() -> None:
    """Runs last in this module: the counts go to the terminal (-s) for the docs."""
    print(f"fuzz inputs tried: {TRIED}; answers: {dict(sorted(ANSWERS.items()))}")
