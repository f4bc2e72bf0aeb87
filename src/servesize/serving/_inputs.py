"""Turning a request into ``run()``'s keyword arguments, per input mode (as azmlinfsrv does)."""

from __future__ import annotations

import inspect
import json
from typing import Any
from urllib.parse import parse_qsl

from servesize.serving._aml import AMLRequest, Headers
from servesize.serving._script import EntryScript

__all__ = ["BadInput", "Request", "UnsupportedInput", "UnsupportedMethod", "parse_input"]


class BadInput(Exception):
    """400 with the message."""


class UnsupportedInput(Exception):
    """415 with the message."""


class UnsupportedMethod(Exception):
    """OPTIONS gets 200, anything else 405."""


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


def parse_input(script: EntryScript, req: Request) -> dict[str, Any]:
    """``run``'s keyword arguments, or raise BadInput/UnsupportedInput/UnsupportedMethod.

    Like azmlinfsrv, a non-UTF-8 body under ``@input_schema`` raises
    ``UnicodeDecodeError`` here, which the caller turns into a generic 500.
    """
    mode, method = script.mode, req.method
    if mode == "rawhttp":
        request = AMLRequest(method, req.path, req.query, Headers(req.headers), req.body)
        return {script.params[0].name: request}
    if method == "POST":
        if mode == "plain":
            try:
                return {script.params[0].name: req.body.decode("utf-8")}
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
