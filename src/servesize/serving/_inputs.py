"""Turning a request into ``run()``'s keyword arguments, per input mode (as azmlinfsrv does)."""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from servesize.serving._aml import (
    MULTIPART,
    AMLRequest,
    Headers,
    RequestEntityTooLarge,
    reads_as_form,
)
from servesize.serving._errors import power_of_ten
from servesize.serving._script import EntryScript

__all__ = [
    "BadInput",
    "FormBodies",
    "Request",
    "TooLarge",
    "UnsupportedInput",
    "UnsupportedMethod",
    "parse_input",
]

logger = logging.getLogger("servesize.serving")


class BadInput(Exception):
    """400 with the message."""


class UnsupportedInput(Exception):
    """415 with the message."""


class UnsupportedMethod(Exception):
    """OPTIONS gets 200, anything else 405."""


class TooLarge(Exception):
    """413 with the message (a multipart form past Flask's limits)."""


class FormBodies:
    """Counts the form bodies a plain ``run()`` received as ``""``, and says why in the log.

    azmlinfsrv reads such a body with Flask's ``request.data``, which parses a form and
    leaves the data empty; ``curl -d @file.json`` sends exactly that content type unless
    given ``-H 'Content-Type: application/json'``.  servesize behaves the same, so a
    script that would fail on Azure fails here too, and the log names the cause: the
    first time, then at 10, 100, 1,000... times.
    """

    def __init__(self) -> None:
        self.count = 0

    def dropped(self, content_type: str, size: int) -> None:
        self.count += 1
        if not power_of_ten(self.count):
            return
        times = "" if self.count == 1 else f" ({self.count} times so far)"
        logger.warning(
            "POST body of %d bytes sent as %r reached run() as an empty string%s: "
            "azmlinfsrv (Flask) reads this content type as a form, so run(raw_data) gets "
            '""; send the body with Content-Type: application/json',
            size,
            content_type,
            times,
        )


class Request:
    """One parsed HTTP request; header names are kept as sent."""

    __slots__ = ("body", "headers", "method", "path", "query")

    def __init__(
        self, method: str, path: str, query: bytes, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body

    def header_dict(self) -> dict[str, str]:
        """Headers as Werkzeug shows them: Title-Cased names, repeats joined by commas."""
        out: dict[str, str] = {}
        for name, value in self.headers:
            key = name.title()
            out[key] = f"{out[key]},{value}" if key in out else value
        return out

    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return ""


def _query_params(query: bytes) -> dict[str, Any]:
    """``?a=1&b=[1,2]&c=x&c=y`` -> ``{"a": 1, "b": [1, 2], "c": ["x", "y"]}``."""
    lists: dict[str, list[str]] = {}
    for key, value in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
        lists.setdefault(key, []).append(value)
    return {
        k: _json_or_str(v[0]) if len(v) == 1 else [_json_or_str(x) for x in v]
        for k, v in lists.items()
    }


def _json_or_str(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _is_json(content_type: str) -> bool:
    mt = content_type.split(";", 1)[0].strip().lower()
    return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))


def _extract(script: EntryScript, body: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for param in script.params:
        value = body.get(param.name, param.default)
        if value is inspect.Parameter.empty:
            raise BadInput(f"A value is not provided for the {param.name!r} parameter.")
        params[param.name] = value
    return params


def _plain_body(req: Request, forms: FormBodies | None) -> bytes:
    """The body as Flask's ``request.data`` gives it: empty for a form (see FormBodies)."""
    content_type = req.content_type()
    if not content_type or not reads_as_form(content_type):
        return req.body
    if content_type.split(";", 1)[0].strip().lower() == MULTIPART:
        from servesize.serving._multipart import parse_multipart

        try:  # Werkzeug checks Flask's form limits while it reads the body
            parse_multipart(req.body, content_type)
        except RequestEntityTooLarge as exc:
            raise TooLarge(exc.description) from None
    if forms is not None:
        forms.dropped(content_type, len(req.body))
    return b""


def parse_input(
    script: EntryScript, req: Request, forms: FormBodies | None = None
) -> dict[str, Any]:
    """``run``'s keyword arguments, or raise BadInput/UnsupportedInput/UnsupportedMethod
    /TooLarge.

    Like azmlinfsrv, a non-UTF-8 body under ``@input_schema`` raises
    ``UnicodeDecodeError`` here, which the caller turns into a generic 500; a form body
    reaches a plain ``run()`` as ``""`` (noted in ``forms``).
    """
    mode, method = script.mode, req.method
    if mode == "rawhttp":
        request = AMLRequest(method, req.path, req.query, Headers(req.headers), req.body)
        return {script.params[0].name: request}
    if method == "POST":
        if mode == "plain":
            try:
                return {script.params[0].name: _plain_body(req, forms).decode("utf-8")}
            except UnicodeDecodeError as exc:
                raise BadInput(f"Input cannot be decoded as UTF-8: {exc}") from None
        if not _is_json(req.content_type()):
            raise UnsupportedInput("Expects Content-Type to be application/json")
        try:
            parsed = json.loads(req.body)
        except json.JSONDecodeError as exc:
            if req.body:
                raise BadInput(f"POST body could not be decoded as JSON: {exc}") from None
            raise BadInput("POST body is empty. Expecting a JSON dictionary.") from None
        if not isinstance(parsed, dict):
            raise BadInput("POST body should be a JSON dictionary.")
        return _extract(script, parsed)
    if method == "GET":
        params = _query_params(req.query)
        if mode == "plain":
            return {script.params[0].name: json.dumps(params)}
        return _extract(script, params)
    raise UnsupportedMethod(method)
