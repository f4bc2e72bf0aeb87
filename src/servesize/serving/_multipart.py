"""``multipart/form-data`` bodies as Werkzeug presents them: form fields and uploaded files.

The body is already in memory (bounded by ``--max-body-bytes``), so parsing is a split on
the boundary; each part's headers go through the stdlib's header parser, which handles
quoting and RFC 2231 parameters (``filename*=UTF-8''...``).  Imported only when a script
reads ``request.files`` or a multipart ``request.form``, so the host stays lean.
"""

from __future__ import annotations

import io
import shutil
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value
from pathlib import Path
from typing import IO, Any

from servesize.serving._aml import RequestEntityTooLarge

__all__ = ["MAX_FIELD_BYTES", "MAX_PARTS", "FileStorage", "boundary", "parse_multipart"]

_HEADERS = BytesHeaderParser(policy=compat32)
#: Flask's defaults under azmlinfsrv (MAX_FORM_MEMORY_SIZE, MAX_FORM_PARTS): a form
#: field (not a file) over this many bytes, or more parts than this, is refused with 413.
MAX_FIELD_BYTES = 500_000
MAX_PARTS = 1_000


class FileStorage:
    """An uploaded file (Werkzeug's ``FileStorage`` for what scripts use)::

    request.files["image"].read(); request.files["image"].save("/tmp/x.png")
    """

    def __init__(self, data: bytes, name: str, filename: str, headers: Message) -> None:
        self.stream: IO[bytes] = io.BytesIO(data)
        self.name = name
        self.filename = filename
        self.headers = headers

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return None if value is None else str(value)

    @property
    def mimetype(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        params = self.headers.get_params(header="content-type") or []
        return {str(k).lower(): str(v) for k, v in params[1:]}

    @property
    def content_length(self) -> int:
        value = self.headers.get("Content-Length")
        return int(value) if value and str(value).isdigit() else 0

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self.stream.readline(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        return self.stream.tell()

    def save(self, dst: str | Path | IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the file to a path or a binary file object (from the current position)."""
        if isinstance(dst, str | Path):
            with open(dst, "wb") as out:
                shutil.copyfileobj(self.stream, out, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        self.stream.close()

    def __iter__(self) -> Any:
        return iter(self.stream)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __repr__(self) -> str:
        return f"<FileStorage: {self.filename!r} ({self.content_type!r})>"


def boundary(content_type: str) -> bytes | None:
    message = Message()
    message["Content-Type"] = content_type
    value = message.get_param("boundary")
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    return value.encode("latin-1", "replace")


def _param(headers: Message, key: str) -> str | None:
    value = headers.get_param(key, header="content-disposition")
    return None if value is None else collapse_rfc2231_value(value)


def parse_multipart(
    body: bytes, content_type: str
) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
    """``(form fields, files)`` in body order; an unclosed body gives neither.

    Raises :class:`RequestEntityTooLarge` past Flask's limits (:data:`MAX_PARTS`,
    :data:`MAX_FIELD_BYTES`), which Werkzeug checks while reading, so an unclosed body
    is refused too.
    """
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, FileStorage]] = []
    delimiter = boundary(content_type)
    if delimiter is None:
        return fields, files
    chunks = body.split(b"--" + delimiter)
    closed = len(chunks) >= 2 and chunks[-1].startswith(b"--")
    # chunks[0] is the preamble; a part ends with CRLF before the next delimiter; the
    # chunk after the last part starts with "--" (the close delimiter).
    for count, chunk in enumerate(chunks[1:], start=1):
        if chunk.startswith(b"--") or not chunk.startswith(b"\r\n"):
            break
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            break
        if count > MAX_PARTS:
            raise RequestEntityTooLarge()
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = _HEADERS.parsebytes(head + b"\r\n\r\n")
        name = _param(headers, "name")
        filename = _param(headers, "filename")
        if filename is None and len(data) > MAX_FIELD_BYTES:
            raise RequestEntityTooLarge()
        if name is None:
            continue
        if filename is not None:
            files.append((name, FileStorage(data, name, filename, headers)))
        else:
            fields.append((name, data.decode("utf-8", "replace")))
    if not closed:
        return [], []  # unclosed or truncated: nothing, as Werkzeug
    return fields, files
