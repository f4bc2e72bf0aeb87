"""The HTTP/1.1 layer: an asyncio protocol on httptools, with no framework in between.

Each request is handled synchronously inside ``on_message_complete``: the worker's
event loop runs one ``run()`` at a time (like azmlinfsrv's sync worker) with no
thread hop and no task per request.  Pipelined requests are answered in order.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from http import HTTPStatus
from typing import Any

import httptools

from servesize.serving._handler import Handler, Response, error_response
from servesize.serving._inputs import Request
from servesize.serving._stream import close_response, stream_response

__all__ = ["HttpProtocol", "Limits", "sweep"]

logger = logging.getLogger("servesize.serving")

# Every registered status with its standard phrase (a user's 422 or 429 included).
_REASONS = {status.value: status.phrase.encode("latin-1") for status in HTTPStatus}
_BODILESS = frozenset({100, 101, 102, 103, 204, 304})
_LINGER_SECONDS = 5.0


access_logger = logging.getLogger("servesize.serving.access")


class Limits:
    """Per-request size limits, the connection timeouts and cap, the access-log switch."""

    __slots__ = (
        "access_log",
        "body",
        "header",
        "header_timeout",
        "keep_alive_timeout",
        "max_connections",
    )

    def __init__(
        self,
        body: int,
        header: int,
        header_timeout: float = 30.0,
        keep_alive_timeout: float = 60.0,
        max_connections: int = 2048,
        access_log: bool = False,
    ) -> None:
        self.body = body
        self.header = header
        self.header_timeout = header_timeout
        self.keep_alive_timeout = keep_alive_timeout
        self.max_connections = max_connections
        self.access_log = access_log


class _Refuse(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class _Clock:
    """The Date header, formatted at most once a second."""

    def __init__(self) -> None:
        self._second = 0
        self._value = b""

    def date(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = email.utils.formatdate(now, usegmt=True).encode()
        return self._value


_CLOCK = _Clock()


class HttpProtocol(asyncio.Protocol):
    """One client connection."""

    def __init__(self, handler: Handler, limits: Limits, connections: set[HttpProtocol]) -> None:
        self.handler = handler
        self.limits = limits
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.header_bytes = 0
        self.body: list[bytes] = []
        self.body_bytes = 0
        self.discarding = False
        #: when the current wait ends (monotonic); :func:`sweep` enforces it
        self.deadline = 0.0
        #: waiting for a request's bytes (408 on timeout), not idle between requests
        self.mid_request = False
        self.started = 0.0
        self.peer = "-"

    # asyncio callbacks -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        if len(self.connections) >= self.limits.max_connections:
            # Answer rather than reset, so a client learns why; it never reaches a parser.
            self.discarding = True
            self._refuse(
                error_response(503, "Too many open connections; retry later."), linger=False
            )
            return
        self.connections.add(self)
        # a new connection has the header timeout to send its first request
        self.deadline = time.monotonic() + self.limits.header_timeout
        if self.limits.access_log:
            peer = transport.get_extra_info("peername")
            self.peer = str(peer[0]) if isinstance(peer, tuple) else "-"

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.discarding:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # The request itself was answered; upgrades are not offered, the connection ends.
            self.discarding = True
        except (_Refuse, httptools.HttpParserError) as exc:
            # httptools wraps errors raised in callbacks; ours ride along as the context.
            refused = exc if isinstance(exc, _Refuse) else exc.__context__
            if isinstance(refused, _Refuse):
                self._refuse(refused.response)
            else:
                self._refuse(error_response(400, "The request could not be parsed as HTTP/1.1."))

    def eof_received(self) -> bool | None:
        return None  # close our side too

    # httptools callbacks -----------------------------------------------------------
    def on_message_begin(self) -> None:
        now = time.monotonic()
        self.deadline = now + self.limits.header_timeout  # not extended by trickling bytes
        self.mid_request = True
        self.started = now
        self.url = b""
        self.headers = []
        self.header_bytes = 0
        self.body = []
        self.body_bytes = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._count_header(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header(len(name) + len(value) + 4)
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def _count_header(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > self.limits.header:
            raise _Refuse(
                error_response(
                    431, f"Request headers exceed the limit of {self.limits.header} bytes."
                )
            )

    def on_headers_complete(self) -> None:
        # the body may take long, but must not pause longer than the header timeout
        self.deadline = time.monotonic() + self.limits.header_timeout
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == "content-length" and value.strip().isdigit():
                self._check_body(int(value))
            elif lowered == "expect" and value.lower() == "100-continue" and self.transport:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.deadline = time.monotonic() + self.limits.header_timeout
        self.body_bytes += len(body)
        self._check_body(self.body_bytes)
        self.body.append(body)

    def _check_body(self, size: int) -> None:
        if size > self.limits.body:
            raise _Refuse(
                error_response(413, f"Request body exceeds the limit of {self.limits.body} bytes.")
            )

    def on_message_complete(self) -> None:
        parser = self.parser
        method = parser.get_method().decode("ascii", "replace")
        try:
            url = httptools.parse_url(self.url)
            path = (url.path or b"/").decode("utf-8", "replace")
            query = url.query or b""
        except httptools.HttpParserInvalidURLError:
            raise _Refuse(error_response(400, "The request URL is invalid.")) from None
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        request = Request(method, path, query, self.headers, body)
        try:
            response = self.handler.handle(request)
        except BaseException as exc:  # the handler guards user code; this guards the handler
            if isinstance(exc, KeyboardInterrupt):
                raise
            logger.exception("internal error while handling %s %s", method, path)
            response = error_response(
                500, "An unexpected internal error occurred. Check the logs for more info."
            )
        keep_alive = parser.should_keep_alive()
        http10 = parser.get_http_version() == "1.0"
        if response.stream is not None:
            keep_alive, sent = self._stream(response, method == "HEAD", keep_alive, http10)
        else:
            self._write(response, method == "HEAD", keep_alive, http10)
            sent = len(response.body)
            if response.close is not None:
                close_response(response, self.handler.errors)
        self.mid_request = False
        self.deadline = time.monotonic() + self.limits.keep_alive_timeout
        if self.limits.access_log:
            self._access(method, response.status, sent)
        if not keep_alive and self.transport is not None:
            self.transport.close()

    def _access(self, method: str, status: int, sent: int) -> None:
        access_logger.info(
            '%s "%s %s HTTP/%s" %d %d %.3f',
            self.peer,
            method,
            self.url.decode("latin-1"),
            self.parser.get_http_version(),
            status,
            sent,
            (time.monotonic() - self.started) * 1000,
        )

    def expire(self) -> None:
        """The wait is over: a request that stalled gets 408, an idle connection closes."""
        self.deadline = 0.0
        if self.mid_request and not self.discarding:
            self._refuse(error_response(408, "The request was not received in time."))
        elif self.transport is not None:
            self.transport.close()

    # responses ---------------------------------------------------------------------
    def _write(self, response: Response, head: bool, keep_alive: bool, http10: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        bodiless = head or response.status in _BODILESS
        # These statuses carry no body (RFC 9110): a user's body would otherwise be
        # read as the start of the next response on a keep-alive connection.
        framing = (
            b"" if response.status in _BODILESS else b"Content-Length: %d\r\n" % len(response.body)
        )
        data = _head(response, framing, keep_alive, http10)
        transport.write(data if bodiless else data + response.body)

    def _stream(
        self, response: Response, head: bool, keep_alive: bool, http10: bool
    ) -> tuple[bool, int]:
        """Send a streamed body; returns (the connection stays open, bytes sent)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            close_response(response, self.handler.errors)
            return False, 0
        if head or response.status in _BODILESS:
            # No body goes out, so the script's iterable is never started (as Werkzeug).
            transport.write(_head(response, b"", keep_alive, http10))
            close_response(response, self.handler.errors)
            return keep_alive, 0
        # An HTTP/1.0 client gets the body unframed, ended by closing the connection.
        chunked = not http10

        def head_bytes(chunked: bool) -> bytes:
            framing = b"Transfer-Encoding: chunked\r\n" if chunked else b""
            return _head(response, framing, keep_alive and chunked, http10)

        reusable, sent = stream_response(
            transport,
            response,
            head_bytes,
            chunked=chunked,
            errors=self.handler.errors,
            timeout=self.limits.header_timeout,
        )
        return keep_alive and reusable, sent

    def _refuse(self, response: Response, linger: bool = True) -> None:
        """Answer an unparseable, oversized or late request, then close without resetting."""
        transport = self.transport
        if transport is None:
            return
        self._write(response, False, False, False)
        self.discarding = True
        self.mid_request = False
        self.deadline = 0.0  # the linger below ends it, not the sweep
        # Half-close so the client reads the answer while we drop what it still sends.
        if transport.can_write_eof():
            transport.write_eof()
        if not linger:
            transport.close()
            return
        loop: Any = asyncio.get_event_loop()
        loop.call_later(_LINGER_SECONDS, transport.close)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _head(response: Response, framing: bytes, keep_alive: bool, http10: bool) -> bytes:
    """The status line and headers (``framing`` says how the body is delimited)."""
    status = response.status
    reason = _REASONS.get(status, b"Unknown")
    if response.reason:
        reason = _clean(response.reason)
    parts = [
        b"HTTP/1.1 %d %s\r\nServer: servesize\r\nDate: %s\r\n%s"
        % (status, reason, _CLOCK.date(), framing)
    ]
    for name, value in response.headers:
        # Header values come from user code too: never let them split the response.
        parts.append(b"%s: %s\r\n" % (_clean(name), _clean(value)))
    if not keep_alive:
        parts.append(b"Connection: close\r\n")
    elif http10:
        parts.append(b"Connection: keep-alive\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)


def sweep(connections: set[HttpProtocol]) -> None:
    """Expire every connection whose wait is over (run about once a second)."""
    now = time.monotonic()
    for conn in [c for c in connections if 0.0 < c.deadline < now]:
        conn.expire()


def _clean(text: str) -> bytes:
    data = text.encode("latin-1", "replace")
    if b"\r" in data or b"\n" in data:
        data = data.replace(b"\r", b" ").replace(b"\n", b" ")
    return data
