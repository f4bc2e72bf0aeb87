"""servesize's ``AMLResponse``: Azure's constructor on a Werkzeug-like response, no Flask.

Under azmlinfsrv ``AMLResponse`` is a Flask ``Response``, and scripts use it as one:
they set ``resp.mimetype = "image/jpg"``, ``resp.headers[...]``, ``resp.status_code``
after building it, or hand it a generator to stream.  This class keeps the attributes a
script can set before returning it, with Werkzeug's meaning, so the host sends what
azmlinfsrv sends (checked on the wire by tests/serving/test_serving_response.py).

The body is ``response``, an iterable of ``bytes``/``str`` chunks, as in Werkzeug: one
with a length (a list, or what ``set_data`` stores) is sent whole with a
Content-Length; one without (a generator, an iterator, a file) is *streamed*, chunk by
chunk as it is produced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from servesize.serving._headers import Headers
from servesize.serving._response_fields import (
    CacheControl,
    HeaderField,
    MimetypeParams,
    SetField,
    age_field,
    content_type_for,
    date_field,
    http_date,
    list_field,
    parse_date,
    split_options,
)

__all__ = ["AMLResponse", "clean_status"]

_PHRASES = {status.value: status.phrase.upper() for status in HTTPStatus}


def clean_status(value: int | str) -> tuple[str, int]:
    """``(status line text, code)`` from an int or a ``"201 CREATED"``-like string."""
    if isinstance(value, int):
        return f"{int(value)} {_PHRASES.get(int(value), 'UNKNOWN')}", int(value)
    text = value.strip()
    if not text:
        raise ValueError("Empty status argument")
    code, sep, _ = text.partition(" ")
    try:
        number = int(code)
    except ValueError:
        return f"0 {text}", 0
    return (text, number) if sep else clean_status(number)


def _unsupported(name: str) -> property:
    def fail(self: Any, *value: Any) -> Any:
        raise AttributeError(
            f"servesize's AMLResponse does not support {name!r}; set the header through "
            f"resp.headers instead"
        )

    return property(fail, fail)


class AMLResponse:
    """A response ``run()`` may return (Azure's constructor, Flask's attributes)::

    resp = AMLResponse(jpeg_bytes, 200)
    resp.mimetype = "image/jpg"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
    """

    default_mimetype = "text/html"
    #: Werkzeug's switches; the host honours neither differently (it frames bodies itself).
    automatically_set_content_length = True
    implicit_sequence_conversion = True

    def __init__(
        self,
        message: Any,
        status_code: int | str,
        response_headers: Mapping[str, str] | None = None,
        json_str: bool = False,
        run_function_failed: bool = False,
    ) -> None:
        extra = {} if response_headers is None else response_headers
        self.headers = Headers()
        self.direct_passthrough = False
        self.response: Any = []
        self._on_close: list[Callable[[], Any]] = []
        if message is None or json_str:  # None answers "{}", as Azure's does
            self.headers["Content-Type"] = "application/json"
            self.set_data(json.dumps({} if message is None else message))
        else:
            self.headers["Content-Type"] = content_type_for(self.default_mimetype)
            if isinstance(message, str | bytes | bytearray):
                self.set_data(message)
            else:
                self.response = message
            # Azure drops its default only for this exact key; the loop below adds theirs.
            if "Content-Type" in extra:
                self.headers.remove("Content-Type")
        self.status = status_code
        self.headers["x-ms-run-function-failed"] = run_function_failed
        # Repeated headers are given comma-separated; Azure splits them apart.
        for header, value in extra.items():
            for part in value.split(","):
                self.headers.add(header, part.strip())

    # status --------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """The status line text, e.g. ``"200 OK"`` (settable from an int or a string)."""
        return self._status

    @status.setter
    def status(self, value: int | str) -> None:
        self._status, self._status_code = clean_status(value)

    @property
    def status_code(self) -> int:
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self.status = code

    # body ----------------------------------------------------------------------------
    def set_data(self, value: str | bytes | bytearray) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        self.response = [data]
        self.headers["Content-Length"] = str(len(data))

    def get_data(self, as_text: bool = False) -> Any:
        """The whole body (a streamed one is read to its end first, as in Werkzeug)."""
        self.make_sequence()
        data = b"".join(self.iter_encoded())
        return data.decode("utf-8") if as_text else data  # strict, as in Werkzeug

    data = property(get_data, set_data)

    @property
    def is_streamed(self) -> bool:
        """True when the body has no length: it is sent as it is produced."""
        try:
            len(self.response)
        except (TypeError, AttributeError):
            return True
        return False

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.response, list | tuple)

    def iter_encoded(self) -> Iterator[Any]:
        """The body's chunks, ``str`` encoded as UTF-8 (anything else passed as is)."""
        for item in self.response:
            yield item.encode("utf-8") if isinstance(item, str) else item

    def make_sequence(self) -> None:
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def calculate_content_length(self) -> int | None:
        if self.direct_passthrough:
            return None
        self.make_sequence()
        return sum(len(chunk) for chunk in self.iter_encoded())

    def freeze(self) -> None:
        """Read the body to its end, set Content-Length and an ETag (Werkzeug's)."""
        self.response = list(self.iter_encoded())
        self.headers["Content-Length"] = str(sum(map(len, self.response)))
        self.add_etag()

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """An ETag from the SHA-1 of the body, unless there is one."""
        if overwrite or "ETag" not in self.headers:
            import hashlib

            self.set_etag(hashlib.sha1(self.get_data()).hexdigest(), weak)

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``func`` once the response is sent (or abandoned)."""
        self._on_close.append(func)
        return func

    def close(self) -> None:
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for func in self._on_close:
            func()

    def __enter__(self) -> AMLResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_json(self) -> bool:
        mt = self.mimetype or ""
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        if not (force or self.is_json):
            return None
        try:
            return json.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    json = property(get_json)

    # headers as attributes -------------------------------------------------------------
    @property
    def mimetype(self) -> str | None:
        value = self.headers.get("Content-Type")
        return split_options(value)[0] if value else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers["Content-Type"] = content_type_for(value)

    @property
    def mimetype_params(self) -> MimetypeParams:
        return MimetypeParams(self)

    content_type = HeaderField("Content-Type")
    content_length = HeaderField("Content-Length", int, str)
    content_location = HeaderField("Content-Location")
    content_encoding = HeaderField("Content-Encoding")
    content_md5 = HeaderField("Content-MD5")
    location = HeaderField("Location")
    accept_ranges = HeaderField("Accept-Ranges")
    age = age_field("Age")
    date = date_field("Date")
    expires = date_field("Expires")
    last_modified = date_field("Last-Modified")
    vary = SetField("Vary")
    content_language = SetField("Content-Language")
    allow = SetField("Allow")
    access_control_allow_origin = HeaderField("Access-Control-Allow-Origin")
    access_control_allow_headers = list_field("Access-Control-Allow-Headers")
    access_control_allow_methods = list_field("Access-Control-Allow-Methods")
    access_control_expose_headers = list_field("Access-Control-Expose-Headers")
    access_control_max_age = HeaderField("Access-Control-Max-Age", int, str)
    content_range = _unsupported("content_range")
    content_security_policy = _unsupported("content_security_policy")
    content_security_policy_report_only = _unsupported("content_security_policy_report_only")
    www_authenticate = _unsupported("www_authenticate")
    cross_origin_opener_policy = _unsupported("cross_origin_opener_policy")
    cross_origin_embedder_policy = _unsupported("cross_origin_embedder_policy")

    @property
    def access_control_allow_credentials(self) -> bool:
        return "Access-Control-Allow-Credentials" in self.headers

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value is True:
            self.headers["Access-Control-Allow-Credentials"] = "true"
        else:
            self.headers.remove("Access-Control-Allow-Credentials")

    @property
    def retry_after(self) -> datetime | None:
        value = self.headers.get("Retry-After")
        if value is None:
            return None
        if value.strip().isdigit():
            return datetime.now(UTC) + timedelta(seconds=int(value))
        return parse_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if value is None:
            self.headers.remove("Retry-After")
        else:
            self.headers["Retry-After"] = http_date(value) if isinstance(value, datetime) else value

    @property
    def cache_control(self) -> CacheControl:
        return CacheControl(self)

    def set_etag(self, etag: str, weak: bool = False) -> None:
        if '"' in etag:
            raise ValueError("invalid etag")
        self.headers["ETag"] = f'{"W/" if weak else ""}"{etag}"'

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        value = self.headers.get("ETag")
        if not value:
            return None, None
        weak = value.startswith(("W/", "w/"))
        return value[2:].strip('"') if weak else value.strip('"'), weak

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        from servesize.serving._cookies import dump_cookie

        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        self.set_cookie(key, "", 0, 0, path, domain, secure, httponly, samesite, partitioned)

    def __repr__(self) -> str:
        size = "streamed" if self.is_streamed else f"{sum(map(len, self.response))} bytes"
        return f"<AMLResponse {size} [{self.status}]>"
