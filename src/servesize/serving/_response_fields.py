"""The header-backed attributes of ``AMLResponse``, as Werkzeug's ``Response`` has them.

A script built for azmlinfsrv sets ``resp.mimetype``, ``resp.vary``,
``resp.cache_control.max_age``... on the Flask response it returns; each of these is a
view of one header, so here each is a small descriptor over ``headers``.  Values are
written in the form Werkzeug writes them (the differential tests compare the wire).
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from servesize.serving._headers import Headers, dump_list, dump_options, quote_value

__all__ = [
    "CacheControl",
    "HeaderField",
    "HeaderSet",
    "MimetypeParams",
    "SetField",
    "age_field",
    "content_type_for",
    "date_field",
    "dump_age",
    "http_date",
    "iri_to_uri",
    "list_field",
    "parse_date",
    "split_options",
]

#: Non-``text/`` types Werkzeug still gives a charset (besides any ``+xml``).
_CHARSET_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)


class _HasHeaders(Protocol):
    headers: Headers


def content_type_for(mimetype: str) -> str:
    """The Content-Type Werkzeug derives from a mimetype (text types get UTF-8)."""
    if mimetype.startswith("text/") or mimetype in _CHARSET_TYPES or mimetype.endswith("+xml"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


def split_options(value: str) -> tuple[str, dict[str, str]]:
    """``"text/html; charset=utf-8"`` -> ``("text/html", {"charset": "utf-8"})``."""
    main, *params = value.split(";")
    options: dict[str, str] = {}
    for param in params:
        key, sep, raw = param.partition("=")
        if sep and key.strip():
            options[key.strip().lower()] = raw.strip().strip('"')
    return main.strip(), options


def iri_to_uri(iri: str) -> str:
    """A Location as Werkzeug sends it: path, query and fragment percent-encoded."""
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(iri)
    netloc = parts.netloc
    if parts.hostname and not (parts.username or parts.password):
        host = parts.hostname.encode("idna").decode("ascii")
        host = f"[{host}]" if ":" in host else host
        netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe="%!$&'()*+,/:;=@"),
            quote(parts.query, safe="%!$&'()*+,/:;=?@"),
            quote(parts.fragment, safe="%!#$&'()*+,/:;=?@"),
        )
    )


def http_date(value: datetime | date | int | float | None) -> str:
    """An HTTP date; a number is a Unix timestamp, a naive datetime is UTC, None is now."""
    if value is None or isinstance(value, int | float):
        return email.utils.formatdate(value, usegmt=True)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)


def parse_date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def dump_age(value: timedelta | int | None) -> str | None:
    if value is None:
        return None
    seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
    if seconds < 0:
        raise ValueError("age cannot be negative")
    return str(seconds)


def _parse_age(value: str) -> timedelta | None:
    return timedelta(seconds=int(value)) if value.strip().isdigit() else None


class HeaderField:
    """One header as an attribute; ``load``/``dump`` convert (``del`` removes it).

    As in Werkzeug, a value is always written, through ``dump`` when there is one:
    ``None`` becomes the text ``"None"``, and a list field given a ``str`` lists its
    characters.
    """

    def __init__(
        self,
        name: str,
        load: Callable[[str], Any] | None = None,
        dump: Callable[[Any], str | None] | None = None,
    ) -> None:
        self.name = name
        self.load = load
        self.dump = dump

    def __get__(self, obj: _HasHeaders | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.headers.get(self.name)
        if value is None or self.load is None:
            return value
        try:
            return self.load(value)
        except ValueError:
            return None

    def __set__(self, obj: _HasHeaders, value: Any) -> None:
        obj.headers[self.name] = self.dump(value) if self.dump is not None else value

    def __delete__(self, obj: _HasHeaders) -> None:
        obj.headers.remove(self.name)


def date_field(name: str) -> HeaderField:
    return HeaderField(name, parse_date, http_date)


def age_field(name: str) -> HeaderField:
    return HeaderField(name, _parse_age, dump_age)


def list_field(name: str) -> HeaderField:
    return HeaderField(name, _split_list, dump_list)


def _split_list(value: str) -> list[str]:
    return [part.strip().strip('"') for part in value.split(",") if part.strip()]


class HeaderSet:
    """A header holding a list of names (``Vary``, ``Allow``...): changes write through."""

    def __init__(self, owner: _HasHeaders, name: str) -> None:
        self._owner = owner
        self._name = name
        self._items = _split_list(owner.headers.get(name) or "")

    def _save(self) -> None:
        if self._items:
            self._owner.headers[self._name] = dump_list(self._items)
        else:
            self._owner.headers.remove(self._name)

    def add(self, item: str) -> None:
        if item.lower() not in (i.lower() for i in self._items):
            self._items.append(item)
            self._save()

    def update(self, items: Iterable[str]) -> None:
        for item in items:
            self.add(item)

    def discard(self, item: str) -> None:
        self._items = [i for i in self._items if i.lower() != item.lower()]
        self._save()

    def remove(self, item: str) -> None:
        if item not in self:
            raise KeyError(item)
        self.discard(item)

    def clear(self) -> None:
        self._items = []
        self._save()

    def to_header(self) -> str:
        return dump_list(self._items)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item.lower() in (i.lower() for i in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"HeaderSet({self._items!r})"


class SetField:
    """``resp.vary = ["Origin"]``; reading gives a :class:`HeaderSet` (Werkzeug's kind)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: _HasHeaders | None, owner: type | None = None) -> Any:
        return self if obj is None else HeaderSet(obj, self.name)

    def __set__(self, obj: _HasHeaders, value: Any) -> None:
        if not value:
            obj.headers.remove(self.name)
        elif isinstance(value, str):
            obj.headers[self.name] = value
        else:
            obj.headers[self.name] = dump_list(value)


#: Cache-Control directives a script sets as attributes: name -> (directive, kind);
#: a flag is present or absent, a number or text carries a value.
_DIRECTIVES: dict[str, tuple[str, type]] = {
    "no_cache": ("no-cache", str),
    "no_store": ("no-store", bool),
    "max_age": ("max-age", int),
    "no_transform": ("no-transform", bool),
    "public": ("public", bool),
    "private": ("private", str),
    "must_revalidate": ("must-revalidate", bool),
    "proxy_revalidate": ("proxy-revalidate", bool),
    "s_maxage": ("s-maxage", int),
    "immutable": ("immutable", bool),
    "must_understand": ("must-understand", bool),
    "stale_while_revalidate": ("stale-while-revalidate", int),
    "stale_if_error": ("stale-if-error", int),
}


class CacheControl:
    """``resp.cache_control.max_age = 300``: each change rewrites ``Cache-Control``."""

    def __init__(self, owner: _HasHeaders) -> None:
        object.__setattr__(self, "_owner", owner)
        values: dict[str, str | None] = {}
        for part in (owner.headers.get("Cache-Control") or "").split(","):
            key, sep, value = part.strip().partition("=")
            if key:
                values[key.lower()] = value.strip('"') if sep else None
        object.__setattr__(self, "_values", values)

    def __getattr__(self, attr: str) -> Any:
        if attr not in _DIRECTIVES:
            raise AttributeError(attr)
        key, kind = _DIRECTIVES[attr]
        if key not in self._values:
            return False if kind is bool else None
        value = self._values[key]
        if kind is bool:
            return True
        if value is None:
            return True if kind is str else None
        return int(value) if kind is int and value.isdigit() else value

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr not in _DIRECTIVES:
            raise AttributeError(f"Cache-Control has no directive {attr!r}")
        key, kind = _DIRECTIVES[attr]
        if value is None or value is False:
            self._values.pop(key, None)
        elif value is True:
            self._values[key] = None
        else:
            self._values[key] = str(int(value) if kind is int else value)
        self._save()

    def _save(self) -> None:
        if self._values:
            text = ", ".join(
                k if v is None else f"{k}={quote_value(v)}" for k, v in self._values.items()
            )
            self._owner.headers["Cache-Control"] = text
        else:
            self._owner.headers.remove("Cache-Control")

    def to_header(self) -> str:
        return str(self._owner.headers.get("Cache-Control") or "")


class MimetypeParams(dict[str, str]):
    """``resp.mimetype_params["charset"] = "latin-1"`` rewrites Content-Type."""

    def __init__(self, owner: _HasHeaders) -> None:
        self._owner = owner
        mimetype, options = split_options(owner.headers.get("Content-Type") or "")
        self._mimetype = mimetype
        super().__init__(options)

    def _save(self) -> None:
        self._owner.headers["Content-Type"] = dump_options(self._mimetype or None, self)

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        self._save()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._save()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._save()

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        self._save()
        return value
