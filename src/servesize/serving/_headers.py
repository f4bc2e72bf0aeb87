"""HTTP headers as Werkzeug's ``Headers`` behaves for entry scripts, and value quoting.

Requests and responses share it: an ordered, case-insensitive multi-map whose values
are strings.  Scripts written for azmlinfsrv (Flask) set response headers through this
API (``resp.headers["X"] = v``, ``add``, ``set``, ``add_header(..., filename=...)``),
so it keeps Werkzeug's semantics where a script can tell the difference: ``set``
replaces the first occurrence in place, values become ``str``, a newline in a value
raises ``ValueError``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = ["Headers", "dump_list", "dump_options", "quote_value"]

_TOKEN = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")


def quote_value(value: Any) -> str:
    """A header parameter value: bare when it is a token, else quoted with escapes."""
    text = str(value)
    if text and _TOKEN.issuperset(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dump_options(value: str | None, params: Mapping[str, Any]) -> str:
    """``value; key=param; ...`` (``None`` params skipped; a ``key*`` kept as given)."""
    parts = [] if value is None else [value]
    for key, param in params.items():
        if param is None:
            continue
        parts.append(f"{key}={param}" if key.endswith("*") else f"{key}={quote_value(param)}")
    return "; ".join(parts)


def dump_list(items: Iterable[Any]) -> str:
    """A comma-separated header list, each item quoted when needed."""
    return ", ".join(quote_value(item) for item in items)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if "\n" in text or "\r" in text:
        raise ValueError("Header values must not contain newline characters.")
    return text


def _with_params(value: Any, params: dict[str, Any]) -> Any:
    if not params:
        return value
    return dump_options(str(value), {k.replace("_", "-"): v for k, v in params.items()})


class Headers:
    """An ordered, case-insensitive multi-map of HTTP headers (Werkzeug's API)."""

    def __init__(self, items: Iterable[tuple[str, Any]] | Mapping[str, Any] = ()) -> None:
        # Built from a parsed request (taken as received); setters check what scripts add.
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: list[tuple[str, str]] = [(k, str(v)) for k, v in pairs]

    # reading -------------------------------------------------------------------------
    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        lowered = key.lower()
        for name, value in self._items:
            if name.lower() == lowered:
                if type is None:
                    return value
                try:
                    return type(value)
                except ValueError:
                    return default
        return default

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        lowered = key.lower()
        values = [v for k, v in self._items if k.lower() == lowered]
        return values if type is None else [type(v) for v in values]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return str(value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and other._items == self._items

    __hash__ = None  # type: ignore[assignment]  # mutable, like Werkzeug's

    def items(self, lower: bool = False) -> list[tuple[str, str]]:
        return [(k.lower() if lower else k, v) for k, v in self._items]

    def keys(self, lower: bool = False) -> list[str]:
        return [k.lower() if lower else k for k, _ in self._items]

    def values(self) -> list[str]:
        return [v for _, v in self._items]

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        return list(self._items)

    def copy(self) -> Headers:
        return Headers(self._items)

    def __repr__(self) -> str:
        return "".join(f"{k}: {v}\r\n" for k, v in self._items) + "\r\n"

    # writing -------------------------------------------------------------------------
    def add(self, key: str, value: Any, **params: Any) -> None:
        """Add a header, keeping earlier ones of the same name; keyword arguments become
        parameters (``add("Content-Disposition", "attachment", filename="x.png")``)."""
        self._items.append((key, _text(_with_params(value, params))))

    add_header = add

    def set(self, key: str, value: Any, **params: Any) -> None:
        """Replace the first header called ``key`` in place (drop the others), or add it."""
        text = _text(_with_params(value, params))
        lowered = key.lower()
        for index, (name, _) in enumerate(self._items):
            if name.lower() == lowered:
                rest = [(k, v) for k, v in self._items[index + 1 :] if k.lower() != lowered]
                self._items[index:] = [(key, text), *rest]
                return
        self._items.append((key, text))

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def setdefault(self, key: str, default: Any) -> str:
        if key not in self:
            self.set(key, default)
        return self[key]

    def setlist(self, key: str, values: Iterable[Any]) -> None:
        self.remove(key)
        for value in values:
            self.add(key, value)

    def extend(self, other: Any = None, **kwargs: Any) -> None:
        for key, value in _pairs(other, kwargs):
            for one in value if isinstance(value, list | tuple | set) else (value,):
                self.add(key, one)

    def update(self, other: Any = None, **kwargs: Any) -> None:
        for key, value in _pairs(other, kwargs, grouped=True):
            if isinstance(value, list | tuple | set):
                self.setlist(key, value)
            else:
                self.set(key, value)

    def remove(self, key: str) -> None:
        """Drop every header called ``key`` (nothing happens when there is none)."""
        lowered = key.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lowered]

    __delitem__ = remove

    def pop(self, key: str, *default: Any) -> Any:
        if key not in self:
            if default:
                return default[0]
            raise KeyError(key)
        value = self[key]
        self.remove(key)
        return value

    def clear(self) -> None:
        self._items.clear()


def _pairs(other: Any, kwargs: dict[str, Any], grouped: bool = False) -> list[tuple[str, Any]]:
    if other is None:
        pairs: list[tuple[str, Any]] = []
    elif isinstance(other, Headers):
        keys = dict.fromkeys(other.keys())
        pairs = [(k, other.getlist(k)) for k in keys] if grouped else list(other.to_wsgi_list())
    elif isinstance(other, Mapping):
        pairs = list(other.items())
    else:
        pairs = list(other)
    return pairs + list(kwargs.items())
