"""Sending a streamed answer: each chunk on the wire as soon as the script yields it.

azmlinfsrv (Flask under gunicorn's sync worker) sends a response whose body has no
length with chunked transfer encoding, writing the headers with the first item the
generator yields and each later item as one chunk.  This module does the same, with
the same endings on the wire:

- the generator raises before its first item: gunicorn's own ``500 Internal Server
  Error`` HTML page (no headers of the service), then the connection closes;
- it raises later (or yields something other than ``bytes``/``str``): the headers and
  chunks already sent stay, no terminating chunk follows, the connection closes;
- it ends: the terminating ``0`` chunk.

The worker runs one request at a time and its event loop does not run meanwhile, so
the chunks are written to the socket directly, blocking while the client's window is
full: a slow reader holds the generator back instead of filling memory, and a client
that reads nothing for the header timeout, or leaves, ends the stream (the generator
is closed, as gunicorn closes it).
"""

from __future__ import annotations

import asyncio
import os
import select
from collections.abc import Callable
from typing import Any

from servesize.serving._errors import RunErrors
from servesize.serving._handler import Response

__all__ = ["GUNICORN_500", "stream_response"]

_PAGE = (
    b"<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n"
    b"    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n"
)
#: What gunicorn writes when the application fails before sending its headers.
GUNICORN_500 = (
    b"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n"
    b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(_PAGE), _PAGE)
)


class _ClientGone(Exception):
    """The client closed the connection, or read nothing for too long."""


class _SocketWriter:
    """Blocking writes to the connection's socket, behind the (idle) transport's back.

    Only used when the transport holds no unsent bytes, so the order on the wire is
    kept; otherwise every write goes through the transport (buffered, still in order).
    """

    def __init__(self, transport: asyncio.Transport, timeout: float) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        idle = transport.get_write_buffer_size() == 0 and not transport.is_closing()
        self.fd = sock.fileno() if sock is not None and idle else -1
        self.timeout_ms = max(1, int(timeout * 1000))

    def write(self, data: bytes) -> None:
        if self.fd < 0:
            if self.transport.is_closing():
                raise _ClientGone("connection closed")
            self.transport.write(data)
            return
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                poller = select.poll()
                poller.register(self.fd, select.POLLOUT)
                if not poller.poll(self.timeout_ms):
                    raise _ClientGone("the client read nothing in time") from None
            except OSError as exc:  # EPIPE, ECONNRESET: the client left
                raise _ClientGone(str(exc)) from exc


def stream_response(
    transport: asyncio.Transport,
    response: Response,
    head: Callable[[bool], bytes],
    *,
    chunked: bool,
    errors: RunErrors,
    timeout: float,
) -> tuple[bool, int]:
    """Send ``response.stream``; ``head(chunked)`` gives the status line and headers.

    Returns (whether the connection may serve another request, body bytes sent).
    ``chunked`` is False for an HTTP/1.0 client: the body then ends with the
    connection.
    """
    stream = response.stream
    assert stream is not None
    writer = _SocketWriter(transport, timeout)
    sent = 0
    try:
        try:
            item: Any = next(stream)
        except StopIteration:
            item = None
        except (Exception, SystemExit) as exc:
            errors.record(exc, "Exception in the streamed response of run(), before its first item")
            writer.write(GUNICORN_500)
            return False, 0
        writer.write(head(chunked))
        while item is not None:
            if not isinstance(item, bytes):
                raise TypeError(f"{item!r} is not a byte")  # gunicorn's words
            if item:  # an empty chunk would end the body: skipped, as gunicorn does
                writer.write(b"%X\r\n%s\r\n" % (len(item), item) if chunked else item)
                sent += len(item)
            try:
                item = next(stream)
            except StopIteration:
                item = None
        if chunked:
            writer.write(b"0\r\n\r\n")
        return chunked, sent
    except _ClientGone:
        return False, sent
    except (Exception, SystemExit) as exc:
        errors.record(exc, "Exception in the streamed response of run(); the response is cut")
        return False, sent
    finally:
        close_response(response, errors)


def close_response(response: Response, errors: RunErrors) -> None:
    """Run the response object's ``close()`` (closes a generator; ``call_on_close``)."""
    if response.close is not None:
        try:
            response.close()
        except (Exception, SystemExit) as exc:
            errors.record(exc, "Exception in close() of the response returned by run()")
