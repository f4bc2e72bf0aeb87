"""servesize's own ``AMLRequest`` and ``rawhttp`` (``AMLResponse`` is in ``_response``).

They mirror the Flask-based classes of ``azureml-inference-server-http`` closely
enough for entry scripts written against them, without Flask.  Scripts import them
from the Azure module paths through :mod:`servesize.serving._shims`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import parse_qsl

from servesize.serving._headers import Headers
from servesize.serving._response import AMLResponse

if TYPE_CHECKING:
    from servesize.serving._multipart import FileStorage

__all__ = [
    "FORM_URLENCODED",
    "MULTIPART",
    "AMLRequest",
    "AMLResponse",
    "Headers",
    "MultiDict",
    "RequestEntityTooLarge",
    "rawhttp",
    "reads_as_form",
]

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


class RequestEntityTooLarge(HTTPException):
    """A multipart form past Flask's limits (a field over 500,000 bytes, over 1,000 parts)."""

    code = 413

    def __init__(self, description: str = "The data value transmitted exceeds the capacity limit."):
        super().__init__(description)


#: The content types Werkzeug reads as a form, consuming the body (see ``AMLRequest``).
FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _mimetype(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def reads_as_form(content_type: str) -> bool:
    """Whether Werkzeug parses this body as a form, leaving ``request.data`` empty.

    A multipart type without a ``boundary`` is refused before the body is read, so that
    body stays readable.
    """
    mimetype = _mimetype(content_type)
    if mimetype == FORM_URLENCODED:
        return True
    if mimetype != MULTIPART:
        return False
    from servesize.serving._multipart import boundary

    return boundary(content_type) is not None


class AMLRequest:
    """The request a ``@rawhttp`` ``run(request)`` receives (a Flask-like subset).

    The body behaves as Werkzeug's input stream: it can be read once.  ``get_data()``
    reads and keeps it (later reads, and the form, use the kept copy); reading the form
    first (``form``, ``files``, ``values``, or ``data``, which parses the form first)
    consumes a form body, so ``get_data()`` then returns ``b""``, as under azmlinfsrv.
    Once the form is loaded, ``stream`` is what the form parser was given: the kept copy
    when there is one, else the input stream.
    """

    def __init__(self, method: str, path: str, query: bytes, headers: Headers, body: bytes) -> None:
        self.method = method
        self.path = path
        self.query_string = query
        # Werkzeug rebuilds names from the WSGI environ: "x-probe-two" reads "X-Probe-Two".
        self.headers = Headers((name.title(), value) for name, value in headers)
        self._body = body
        self._stream = io.BytesIO(body)
        self._cached: bytes | None = None
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
    def stream(self) -> io.BytesIO:
        """The input stream (reading it consumes the body, as in Werkzeug)."""
        return self._stream

    @property
    def data(self) -> bytes:
        """The body, after parsing a form (so ``b""`` for a form body, as in Flask)."""
        return bytes(self.get_data(parse_form_data=True))

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The body as bytes, or as text (undecodable bytes replaced, as in Werkzeug)."""
        data = self._cached
        if data is None:
            if parse_form_data:
                self._form_and_files()
            data = self._stream.read()
            if cache:
                self._cached = data
        return data.decode("utf-8", "replace") if as_text else data

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
            return json.loads(self.get_data(cache=cache))
        except ValueError as exc:
            if silent:
                return None
            raise BadRequest(f"Failed to decode JSON object: {exc}") from exc

    @property
    def json(self) -> Any:
        return self.get_json()

    def _form_and_files(self) -> tuple[MultiDict[str], MultiDict[FileStorage]]:
        if self._parsed is None:
            self._parsed = MultiDict(), MultiDict()
            content_type = self.content_type
            if content_type:  # Werkzeug parses nothing without a content type
                if self._cached is not None:
                    self._stream = io.BytesIO(self._cached)
                if reads_as_form(content_type):
                    self._parsed = self._parse_form(self._stream.read())
        return self._parsed

    def _parse_form(self, body: bytes) -> tuple[MultiDict[str], MultiDict[FileStorage]]:
        if self.mimetype == FORM_URLENCODED:
            try:  # Werkzeug decodes strictly; a body that is not UTF-8 gives no fields
                fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                fields = []
            return MultiDict(fields), MultiDict()
        from servesize.serving._multipart import parse_multipart

        fields, files = parse_multipart(body, self.content_type)
        return MultiDict(fields), MultiDict(files)

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
