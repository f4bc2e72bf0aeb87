"""The request handler: a plain function of a parsed request to a small response record.

It reproduces azmlinfsrv's routes, status codes, messages and headers (contract
sections 1-2, checked against the real server by tests/serving).  The HTTP layer
around it (``_protocol``) knows nothing of Azure.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from servesize import __version__
from servesize.serving._aml import AMLResponse
from servesize.serving._errors import RunErrors
from servesize.serving._inputs import (
    BadInput,
    FormBodies,
    Request,
    TooLarge,
    UnsupportedInput,
    UnsupportedMethod,
    parse_input,
)
from servesize.serving._response_fields import iri_to_uri
from servesize.serving._script import EntryScript
from servesize.serving._swagger import SwaggerDocs
from servesize.serving._timeout import ScoringTimer

__all__ = ["Handler", "Response", "error_response"]

logger = logging.getLogger("servesize.serving")

ID_LIMIT = 100
_JSON = "application/json"
_HTML = "text/html; charset=utf-8"
_RUN_FAILED = "An unexpected error occurred in scoring script. Check the logs for more info."
_INTERNAL = "An unexpected internal error occurred. Check the logs for more info."
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_FRAMING = frozenset({"content-length", "transfer-encoding"})
_URLS = frozenset({"location", "content-location"})
_ENTITY_HEADERS = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-range",
        "content-type",
        "last-modified",
    }
)
_ROUTES = {
    "/": ("GET", "HEAD", "OPTIONS"),
    "/score": ("GET", "POST", "OPTIONS", "HEAD"),
    "/swagger.json": ("GET", "HEAD", "OPTIONS"),
}
_NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually "
    "please check your spelling and try again."
)


class Response:
    """Status, headers (in order, repeats allowed) and body bytes, or a body ``stream``.

    ``stream`` (chunks as the script produces them) replaces ``body`` for a streamed
    answer; ``reason`` is the script's own status phrase; ``close`` runs once the answer
    is sent or abandoned (a response object's ``close()``, as WSGI servers call it).
    """

    __slots__ = ("body", "close", "headers", "reason", "status", "stream")

    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        stream: Iterator[Any] | None = None,
        reason: str | None = None,
        close: Callable[[], Any] | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
        self.reason = reason
        self.close = close


def error_response(status: int, message: str, run_failed: bool = False) -> Response:
    """azmlinfsrv's ``ErrorResponse``: JSON ``{"message": ...}``."""
    body = json.dumps({"message": message}).encode()
    return Response(
        status, [("Content-Type", _JSON), ("x-ms-run-function-failed", str(run_failed))], body
    )


class _Ids:
    __slots__ = ("client", "legacy", "request", "trace")

    def __init__(self) -> None:
        self.request = self.client = self.legacy = ""
        self.trace: str | None = None


class Handler:
    """Route one request; ``handle`` never raises for anything a client can send."""

    def __init__(self, script: EntryScript, timeout_ms: int, app_root: str) -> None:
        self.script = script
        self.timer = ScoringTimer(timeout_ms)
        self.errors = RunErrors()
        self.forms = FormBodies()
        self.swagger = SwaggerDocs(Path(app_root), script.run, script.mode == "schema")
        enabled = os.environ.get("SERVER_VERSION_LOG_RESPONSE_ENABLED", "true").lower() == "true"
        self.server_version = f"servesize/{__version__}" if enabled else ""

    def handle(self, req: Request) -> Response:
        allowed = _ROUTES.get(req.path)
        if allowed is None:
            return error_response(404, _NOT_FOUND)
        if req.method not in allowed:
            return error_response(405, "The method is not allowed for the requested URL.")
        ids = _Ids()
        refused = self._read_ids(req, ids)
        if refused is not None:
            response = refused
        else:
            try:
                response = self._dispatch(req)
            except Exception:
                logger.exception("Encountered Exception")
                response = error_response(500, _INTERNAL)
        self._add_common(response, ids)
        return response

    def _dispatch(self, req: Request) -> Response:
        if req.method == "OPTIONS" and req.path != "/score":
            # Flask's automatic OPTIONS answer.
            allow = ", ".join(sorted(_ROUTES[req.path]))
            return Response(200, [("Content-Type", _HTML), ("Allow", allow)], b"")
        if req.path == "/":
            return Response(200, [("Content-Type", _HTML)], b"Healthy")
        if req.path == "/swagger.json":
            version = _first_query_value(req.query, "version") or "2"
            status, body = self.swagger.get(version)
            return Response(
                status, [("Content-Type", _JSON), ("x-ms-run-function-failed", "False")], body
            )
        return self._score(req)

    def _score(self, req: Request) -> Response:
        script = self.script
        try:
            kwargs = parse_input(script, req, self.forms)
        except BadInput as exc:
            return error_response(400, str(exc))
        except TooLarge as exc:
            return error_response(413, str(exc))
        except UnsupportedInput as exc:
            return error_response(415, str(exc))
        except UnsupportedMethod:
            if req.method == "OPTIONS":
                return Response(
                    200, [("Content-Type", _HTML), ("x-ms-run-function-failed", "False")], b""
                )
            return error_response(405, "Method not allowed")
        if script.wants_headers:
            kwargs["request_headers"] = req.header_dict()
        timer = self.timer
        start = time.perf_counter()
        try:
            timer.arm()
            try:
                output = script.run(**kwargs)
            finally:
                timer.disarm()
        except TimeoutError as exc:
            self.errors.record(exc, f"Scoring timeout after {timer.timeout_ms} ms")
            return error_response(500, f"Scoring timeout after {timer.timeout_ms} ms", True)
        except (Exception, SystemExit) as exc:
            self.errors.record(exc, "Encountered Exception in run()")
            return error_response(500, _RUN_FAILED, True)
        elapsed = f"{(time.perf_counter() - start) * 1000:.3f}"
        response = _to_response(output)
        response.headers.append(("x-ms-run-fn-exec-ms", elapsed))
        return response

    def _read_ids(self, req: Request, ids: _Ids) -> Response | None:
        request_id: str | None = None
        legacy = client = ""
        for name, value in req.headers:
            lowered = name.lower()
            if lowered == "x-request-id":
                request_id = value if request_id is None else request_id
            elif lowered == "x-ms-request-id":
                legacy = legacy or value
            elif lowered == "x-ms-client-request-id":
                client = client or value
            elif lowered == "traceid":
                ids.trace = value
        if request_id is None:
            request_id = str(uuid.uuid4())
        if len(request_id) > ID_LIMIT:
            return error_response(431, f"x-request-id must not exceed {ID_LIMIT} characters")
        ids.request = request_id
        if legacy:
            client = client or legacy
        else:
            legacy = client or request_id
        if len(legacy) > ID_LIMIT or len(client) > ID_LIMIT:
            return error_response(
                431,
                f"x-ms-request-id and x-ms-client-request-id must not exceed {ID_LIMIT} characters",
            )
        ids.legacy, ids.client = legacy, client
        return None

    def _add_common(self, response: Response, ids: _Ids) -> None:
        headers = response.headers
        if self.server_version:
            headers.append(("x-ms-server-version", self.server_version))
        if ids.request:
            headers.append(("x-request-id", ids.request))
        if ids.legacy:
            headers.append(("x-ms-request-id", ids.legacy))
        if ids.client:
            headers.append(("x-ms-client-request-id", ids.client))
        if ids.trace is not None:
            headers.append(("TraceId", ids.trace))


def _to_response(output: Any) -> Response:
    """A returned response passes through; anything else becomes ``json.dumps(output)``.

    ``None`` is answered ``{}``: azmlinfsrv wraps it in ``AMLResponse(None)``.
    """
    if isinstance(output, AMLResponse) or _is_foreign_response(output):
        # ours, or a real Flask/AMLResponse when Flask or Azure is installed
        return _mark_failed(_from_response_object(output))
    body = b"{}" if output is None else json.dumps(output).encode()
    # TypeError/ValueError from json.dumps -> generic 500 upstream
    return Response(200, [("Content-Type", _JSON), ("x-ms-run-function-failed", "False")], body)


def _from_response_object(output: Any) -> Response:
    status = int(output.status_code)
    code, _, reason = str(getattr(output, "status", "")).partition(" ")
    # The body's framing is the host's to write: drop what the script's object carries.
    headers = [(str(k), str(v)) for k, v in output.headers.items() if k.lower() not in _FRAMING]
    if status == 304:  # Werkzeug strips entity headers from a 304
        headers = [(k, v) for k, v in headers if k.lower() not in _ENTITY_HEADERS]
    # ...and sends a Location (or Content-Location) percent-encoded
    headers = [(k, iri_to_uri(v) if k.lower() in _URLS else v) for k, v in headers]
    close = getattr(output, "close", None)
    response = Response(status, headers, b"", close=close)
    # A phrase the script chose ("299 Made Up") goes out; Werkzeug's spelling of the
    # standard one ("201 CREATED") gives way to ours.
    if reason and code == str(status) and reason.lower() != _PHRASES.get(status, "").lower():
        response.reason = reason
    if getattr(output, "is_streamed", False) is True:
        response.stream = iter(output.iter_encoded())
    else:
        response.body = bytes(output.get_data())
    return response


def _mark_failed(response: Response) -> Response:
    if response.status >= 500:
        key = "x-ms-run-function-failed"
        if any(k.lower() == key for k, _ in response.headers):
            response.headers = [(k, "True" if k.lower() == key else v) for k, v in response.headers]
        else:
            response.headers.append((key, "True"))
    return response


def _is_foreign_response(output: Any) -> bool:
    return all(
        hasattr(output, a) for a in ("status_code", "headers", "get_data")
    ) and not isinstance(output, type)


def _first_query_value(query: bytes, key: str) -> str | None:
    for k, v in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
        if k == key:
            return v
    return None
