"""Readiness probe and log tail for the launcher."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["http_ok", "log_tail", "port_open"]


def http_ok(url: str, timeout: float) -> bool:
    """True when ``GET url`` answers 200.

    ``http.client`` rather than ``urllib.request``: the latter honours ``http_proxy``
    from the environment, and a loopback probe must never go through a proxy.
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"readiness URL must be http://host:port/path, got {url!r}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def port_open(url: str, timeout: float) -> bool:
    """True when the host and port of ``url`` accept a TCP connection (a server without
    a health route is ready once it listens)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"readiness URL must be http://host:port/..., got {url!r}")
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


def log_tail(path: Path, lines: int = 20, max_bytes: int = 8192) -> str:
    """The last ``lines`` lines of a log (read from the end: logs can be large)."""
    with contextlib.suppress(OSError), path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - max_bytes))
        text = handle.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])
    return ""
