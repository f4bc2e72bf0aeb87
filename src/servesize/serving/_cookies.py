"""``Set-Cookie`` values written as Werkzeug writes them (``AMLResponse.set_cookie``).

Imported on the first ``set_cookie``, so scripts that set none never load it.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from urllib.parse import quote

from servesize.serving._response_fields import http_date

__all__ = ["dump_cookie"]

#: A value made only of these characters goes out bare; anything else is quoted.
_BARE = re.compile(r"[\w!#$%&'()*+\-./:<=>?@\[\]^`{|}~]*", re.ASCII)
_ESCAPE = re.compile(rb'[\x00-\x19",;\\\x7f-\xff]')
_SAMESITE = {"Strict", "Lax", "None"}


def _escape(match: re.Match[bytes]) -> bytes:
    char = match.group()
    if char in (b'"', b"\\"):
        return b"\\" + char
    return b"\\%03o" % char[0]


def _quote_value(value: str) -> str:
    if _BARE.fullmatch(value):
        return value
    return '"' + _ESCAPE.sub(_escape, value.encode()).decode("ascii") + '"'


def dump_cookie(
    key: str,
    value: str,
    max_age: timedelta | int | None,
    expires: str | datetime | int | float | None,
    path: str | None,
    domain: str | None,
    secure: bool,
    httponly: bool,
    samesite: str | None,
    partitioned: bool,
) -> str:
    """One ``Set-Cookie`` value; ``max_age`` without ``expires`` sets both, as Werkzeug."""
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if expires is not None and not isinstance(expires, str):
        expires = http_date(expires)
    elif expires is None and max_age is not None:
        expires = http_date(time.time() + max_age)
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in _SAMESITE:
            raise ValueError("SameSite must be 'Strict', 'Lax', or 'None'.")
    if domain:
        domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
    attributes: list[tuple[str, object]] = [
        ("Domain", domain or None),
        ("Expires", expires),
        ("Max-Age", max_age),
        ("Secure", secure or partitioned),
        ("HttpOnly", httponly),
        ("Path", None if path is None else quote(path, safe="%!$&'()*+,/:=@")),
        ("SameSite", samesite),
        ("Partitioned", partitioned),
    ]
    parts = [f"{key}={_quote_value(value)}"]
    for name, attr in attributes:
        if attr is None or attr is False:
            continue
        parts.append(name if attr is True else f"{name}={attr}")
    return "; ".join(parts)
