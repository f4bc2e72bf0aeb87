"""servesize's own ``AMLRequest``, ``AMLResponse`` and ``rawhttp``.

They mirror the Flask-based classes of ``azureml-inference-server-http`` closely
enough for entry scripts written against them, without Flask.  Scripts import them
from the Azure module paths through :mod:`servesize.serving._shims`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from servesize.serving._multipart import FileStorage

__all__ = ["AMLRequest", "AMLResponse", "Headers", "MultiDict", "rawhttp"]

_F = TypeVar("_F", bound=Callable[..., Any])
_V = TypeVar("_V")

#: Set by :func:`rawhttp`; azmlinfsrv keeps the same module-global flag.
_rawHttpRequested = False


def rawhttp(func: _F) -> _F:
    """Ask for the raw request: ``run(request)`` receives an :class:`AMLRequest`."""
    global _rawHttpRequested
    _rawHttpRequested = True
    return func


class MultiDict(Mapping[str, _V], Generic[_V]):
    """Query arguments, form fields, files: ``d[k]`` and ``get`` give the first value,
    ``getlist`` all of them, in request order."""

    def __init__(self, pairs: Iterable[tuple[str, _V]] = ()) -> None:
        self._lists: dict[str, list[_V]] = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> _V:
        return self._lists[key][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def get(self, key: str, default: Any = None, type: Callable[[_V], Any] | None = None) -> Any:
        """The first value of ``key``, converted by ``type`` (``default`` if that fails)."""
        if key not in self._lists:
            return default
        value = self._lists[key][0]
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str) -> list[_V]:
        """Every value of ``key``, in request order."""
        return list(self._lists.get(key, []))

    def items(self, multi: bool = False) -> Any:
        """``(key, first value)`` pairs, or every pair with ``multi=True`` (Werkzeug's)."""
        if multi:
            return [(k, v) for k, values in self._lists.items() for v in values]
        return [(k, v[0]) for k, v in self._lists.items()]

    def to_dict(self, flat: bool = True) -> dict[str, Any]:
        """First values (``flat``) or lists of values."""
        if flat:
            return {k: v[0] for k, v in self._lists.items()}
        return {k: list(v) for k, v in self._lists.items()}


class Headers:
    """An ordered, case-insensitive multi-map of HTTP headers."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = list(items)

    def get(self, key: str, default: Any = None) -> Any:
        lowered = key.lower()
        for name, value in self._items:
            if name.lower() == lowered:
                return value
        return default

    def getlist(self, key: str) -> list[str]:
        lowered = key.lower()
        return [v for k, v in self._items if k.lower() == lowered]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return str(value)

    def __setitem__(self, key: str, value: Any) -> None:
        self.remove(key)
        self._items.append((key, str(value)))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def add(self, key: str, value: Any) -> None:
        """Add a header, keeping earlier ones of the same name."""
        self._items.append((key, str(value)))

    add_header = add

    def remove(self, key: str) -> None:
        """Drop every header called ``key``."""
        lowered = key.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lowered]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def keys(self) -> list[str]:
        return [k for k, _ in self._items]

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        return list(self._items)


class HTTPException(Exception):
    """Werkzeug's names for the errors ``get_json`` raises, so ``except`` clauses port."""

    code = 500

    def __init__(self, description: str = "") -> None:
        super().__init__(description)
        self.description = description


class BadRequest(HTTPException):
    code = 400


class UnsupportedMediaType(HTTPException):
    code = 415


def _mimetype(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


class AMLRequest:
    """The request a ``@rawhttp`` ``run(request)`` receives (a Flask-like subset)."""

    def __init__(self, method: str, path: str, query: bytes, headers: Headers, body: bytes) -> None:
        self.method = method
        self.path = path
        self.query_string = query
        # Werkzeug rebuilds names from the WSGI environ: "x-probe-two" reads "X-Probe-Two".
        self.headers = Headers((name.title(), value) for name, value in headers)
        self._body = body
        self.args = MultiDict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        self._parsed: tuple[MultiDict[str], MultiDict[FileStorage]] | None = None

    @property
    def full_path(self) -> str:
        return f"{self.path}?{self.query_string.decode('latin-1')}"

    @property
    def url(self) -> str:
        host = self.headers.get("Host", "localhost")
        query = f"?{self.query_string.decode('latin-1')}" if self.query_string else ""
        return f"http://{host}{self.path}{query}"

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", ""))

    @property
    def mimetype(self) -> str:
        return _mimetype(self.content_type)

    @property
    def content_length(self) -> int:
        return len(self._body)

    @property
    def is_json(self) -> bool:
        mt = self.mimetype
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    @property
    def data(self) -> bytes:
        return self._body

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The body as bytes, or as text (undecodable bytes replaced, as in Werkzeug)."""
        return self._body.decode("utf-8", "replace") if as_text else self._body

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The body parsed as JSON; like Flask, needs a JSON content type unless ``force``."""
        if not (force or self.is_json):
            if silent:
                return None
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request "
                "Content-Type was not 'application/json'."
            )
        try:
            return json.loads(self._body)
        except ValueError as exc:
            if silent:
                return None
            raise BadRequest(f"Failed to decode JSON object: {exc}") from exc

    @property
    def json(self) -> Any:
        return self.get_json()

    def _form_and_files(self) -> tuple[MultiDict[str], MultiDict[FileStorage]]:
        if self._parsed is None:
            mimetype = self.mimetype
            if mimetype == "application/x-www-form-urlencoded":
                text = self._body.decode("utf-8", "replace")
                self._parsed = MultiDict(parse_qsl(text, keep_blank_values=True)), MultiDict()
            elif mimetype == "multipart/form-data":
                from servesize.serving._multipart import parse_multipart

                fields, files = parse_multipart(self._body, self.content_type)
                self._parsed = MultiDict(fields), MultiDict(files)
            else:
                self._parsed = MultiDict(), MultiDict()
        return self._parsed

    @property
    def form(self) -> MultiDict[str]:
        """Form fields of an urlencoded or a multipart body (files are in ``files``)."""
        return self._form_and_files()[0]

    @property
    def files(self) -> MultiDict[FileStorage]:
        """Uploaded files of a multipart body: ``files["image"].read()``."""
        return self._form_and_files()[1]

    @property
    def values(self) -> MultiDict[str]:
        return MultiDict([*self.args.items(multi=True), *self.form.items(multi=True)])

    def __repr__(self) -> str:
        return f"<AMLRequest '{self.url}' [{self.method}]>"


class AMLResponse:
    """A response ``run()`` may return; passed through as is (Azure's signature)."""

    def __init__(
        self,
        message: Any,
        status_code: int,
        response_headers: Mapping[str, str] | None = None,
        json_str: bool = False,
        run_function_failed: bool = False,
    ) -> None:
        response_headers = response_headers or {}
        self.status_code = int(status_code)
        self.headers = Headers()
        if message is None:
            body, content_type = b"{}", "application/json"
        elif json_str:
            body, content_type = json.dumps(message).encode(), "application/json"
        else:
            body, content_type = _to_bytes(message), "text/html; charset=utf-8"
        self._body = body
        # azmlinfsrv drops its default only for the exact key "Content-Type"; keep that.
        if message is None or json_str or "Content-Type" not in response_headers:
            self.headers.add("Content-Type", content_type)
        self.headers.add("x-ms-run-function-failed", run_function_failed)
        # Repeated headers are given comma-separated; Azure splits them apart.
        for header, value in response_headers.items():
            for part in str(value).split(","):
                self.headers.add(header, part.strip())

    @property
    def data(self) -> bytes:
        return self._body

    def get_data(self, as_text: bool = False) -> Any:
        return self._body.decode("utf-8", "replace") if as_text else self._body

    def set_data(self, value: str | bytes) -> None:
        self._body = _to_bytes(value)

    def __repr__(self) -> str:
        return f"<AMLResponse {len(self._body)} bytes [{self.status_code}]>"


def _to_bytes(message: Any) -> bytes:
    if isinstance(message, bytes | bytearray):
        return bytes(message)
    if isinstance(message, str):
        return message.encode("utf-8")
    # Flask accepts an iterable of str/bytes chunks.
    return b"".join(_to_bytes(part) for part in message)
