"""The HTTP/1.1 side: the target, the pre-encoded requests, one keep-alive connection.

A connection is a bare ``asyncio.Protocol`` fed to httptools' C parser: no stream
objects, tasks or futures per request, so a response costs one parser call and one
Python callback.  One request is in flight per connection (no pipelining).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from time import monotonic_ns
from typing import Protocol, cast
from urllib.parse import urlsplit

import httptools

from servesize.errors import InvalidInputError

__all__ = ["Connection", "Owner", "Target", "encode_requests", "parse_target"]


@dataclass(frozen=True)
class Target:
    """Where requests go, split out of the URL once."""

    host: str
    port: int
    path: str  # path and query, as sent on the request line
    tls: bool

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context() if self.tls else None


def parse_target(url: str) -> Target:
    """The :class:`Target` of an ``http://`` or ``https://`` URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError(f"bad URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"bad URL {url!r}: expected http://host[:port]/path")
    tls = parts.scheme == "https"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.hostname, port or (443 if tls else 80), path, tls)


_BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"})


def encode_requests(
    target: Target, method: str, headers: Mapping[str, str], bodies: Sequence[bytes]
) -> list[bytes]:
    """Every request as the exact bytes to write (head and body), built once per body."""
    lines = [f"{method} {target.path} HTTP/1.1"]
    given = {name.lower() for name in headers}
    if "host" not in given:
        lines.append(f"Host: {target.host_header}")
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"]
    head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    out = []
    for body in bodies:
        if body or method not in _BODYLESS:
            out.append(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        else:
            out.append(head + b"\r\n")
    return out


class Owner(Protocol):
    """What a connection reports to (the engine)."""

    def on_response(self, conn: Connection, status: int, keep_alive: bool) -> None: ...

    def on_lost(self, conn: Connection) -> None: ...


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``send`` writes a request, the owner hears the end."""

    __slots__ = (
        "busy",
        "due",
        "error",
        "first",
        "nbytes",
        "owner",
        "parser",
        "sent",
        "transport",
    )

    def __init__(self, owner: Owner) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.busy = False
        self.due = 0  # ns: when the request was due (the schedule)
        self.sent = 0  # ns: when it was written
        self.first = 0  # ns: when the first byte of its response arrived
        self.nbytes = 0
        self.error = "reset"  # the kind reported if the connection ends mid-request

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike
        self.transport = cast(asyncio.Transport, transport)

    def send(self, due: int, sent: int, data: bytes) -> None:
        self.due = due
        self.sent = sent
        self.first = 0
        self.nbytes = 0
        self.busy = True
        self.transport.write(data)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        if not self.nbytes:  # time to first byte: a streamed answer's first chunk
            self.first = monotonic_ns()
        self.nbytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.abort("protocol")

    def on_message_complete(self) -> None:
        if not self.busy:  # a response nobody asked for
            self.abort("protocol")
            return
        self.busy = False
        self.owner.on_response(self, self.parser.get_status_code(), self.parser.should_keep_alive())

    def abort(self, kind: str) -> None:
        """End the connection at once; a request in flight is reported as ``kind``."""
        self.error = kind
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.on_lost(self)
