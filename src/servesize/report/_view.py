"""The read-only view of a stored profile that every output format renders."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from servesize.errors import NotFoundError
from servesize.workspace import Figures, profile_log_file

#: The series a profile stores (docs/profiling.md, "The stored profile").
SERIES_KINDS = ("samples", "windows", "capacity", "latency_histogram")


def as_number(value: Any) -> float | None:
    """A finite float, or None for missing, boolean, non-numeric, NaN or infinite values."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class _Record(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def record(self) -> dict[str, Any]: ...


class _Profiles(Protocol):
    def get(self, name: str) -> _Record: ...

    def get_series(self, name: str, kind: str) -> list[dict[str, Any]]: ...


class _Store(Protocol):
    @property
    def profiles(self) -> _Profiles: ...


def _log_path(store: object, name: str) -> str | None:
    """The service log of profile ``name`` when the store knows one and it exists."""
    root = getattr(store, "root", None)
    if root is None:
        return None
    # not Store.profile_log_path, which would mkdir on a read
    path = profile_log_file(Path(root), name)
    return str(path) if path.is_file() else None


@dataclass(frozen=True)
class ProfileView:
    """Everything a report needs, detached from the store.

    ``details`` is ``get_details()``, ``record`` is ``serialize()`` and ``series``
    maps each series kind to its rows; any of them may be empty (a profile that
    failed early has no samples).

    >>> view = ProfileView("p", "Failed", {"error": {"message": "init() raised"}})
    >>> view.error_message
    'init() raised'
    """

    name: str
    state: str
    details: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: _Store, name: str) -> ProfileView:
        """Load profile ``name`` and all its series (``NotFoundError`` if unknown)."""
        try:
            row: _Record | None = store.profiles.get(name)
        except KeyError as exc:  # a store that signals "unknown" the dict way
            raise NotFoundError(f"no profile named {name!r}") from exc
        if row is None:
            raise NotFoundError(f"no profile named {name!r}")
        series = {kind: list(store.profiles.get_series(name, kind)) for kind in SERIES_KINDS}
        details = dict(row.details or {})
        details["name"], details["state"] = row.name, row.state  # the row is the truth
        description = getattr(row, "description", None)
        if description:
            details.setdefault("description", description)
        created = getattr(row, "created_time", None)
        if created is not None:
            details.setdefault("createdTime", created.isoformat())
        record = dict(row.record or {})
        log = _log_path(store, row.name)
        if log is not None:
            record.setdefault("logPath", log)
        return cls(row.name, row.state, details, record, series)

    @cached_property
    def figures(self) -> Figures:
        """The details as typed figures (``figures.recommended_cpu``): what reports read."""
        return Figures.from_details(self.details)

    # -- convenience accessors (all tolerate missing keys) -----------------

    def get(self, key: str, default: Any = None) -> Any:
        """A details value, or ``default`` when the profile does not have it."""
        return self.details.get(key, default)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        """The rows of one series, ``[]`` when it was not recorded."""
        return self.series.get(kind) or []

    def section(self, key: str) -> dict[str, Any]:
        """A nested details dict (``settings``, ``machine``, ...), ``{}`` if absent."""
        value = self.details.get(key)
        return value if isinstance(value, dict) else {}

    @property
    def error_message(self) -> str | None:
        """The error's message, whether stored as a dict or a plain string."""
        error = self.figures.error
        return str(error.message) if error is not None and error.message else None

    @property
    def validity(self) -> str | None:
        value = self.figures.validity
        return str(value) if value else None

    @property
    def validity_reasons(self) -> list[str]:
        reasons = self.figures.validity_reasons or []
        return [str(r) for r in reasons] if isinstance(reasons, list) else [str(reasons)]

    @property
    def has_recommendation(self) -> bool:
        f = self.figures
        return f.recommended_cpu is not None and f.recommended_memory_in_gb is not None

    @property
    def safety_margin(self) -> float:
        """The procedure's safety margin (``ProfileSettings.safety_margin``), default 0.15."""
        value = (self.figures.settings or {}).get("safety_margin")
        try:
            margin = float(value) if value is not None else 0.15
        except (TypeError, ValueError):
            return 0.15
        return margin if margin >= 0 else 0.15

    @property
    def log_location(self) -> str | None:
        """Where the service log is: ``errorLogsUri`` or the record's ``logPath``."""
        for source in (self.details, self.record):
            for key in ("errorLogsUri", "logPath", "logUri"):
                if source.get(key):
                    return str(source[key])
        return None

    def headline(self) -> str:
        """One sentence saying what happened, for every state."""
        if self.state == "Succeeded":
            verdict = self.validity or "no verdict"
            return f"Profile {self.name!r} succeeded ({verdict})."
        if self.state in {"Failed", "TimedOut"}:
            why = self.error_message or "no error message was recorded"
            verb = "failed" if self.state == "Failed" else "timed out"
            return f"Profile {self.name!r} {verb}: {why}"
        if self.state == "Cancelled":
            return f"Profile {self.name!r} was cancelled before it finished."
        return f"Profile {self.name!r} is {self.state}; the figures below are partial."
