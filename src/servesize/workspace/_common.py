"""Small helpers the registries share: JSON columns, string maps, version allocation."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from servesize.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from servesize.workspace._names import validate_name

__all__ = [
    "dumps",
    "fetch_all",
    "fetch_version",
    "is_referenced",
    "load_json",
    "next_version",
    "parse_time",
    "string_map",
]


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def load_json(text: str | None, default: Any) -> Any:
    return default if text is None else json.loads(text)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def string_map(value: Mapping[str, object] | None, what: str) -> dict[str, str]:
    """Tags and properties are str -> str like Azure's; other scalar values are stringified
    because users store numbers there (``add_tags({'requestedCpu': 1.5})``)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{what} must be a mapping of keys to values")
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInputError(f"{what}: keys must be non-empty strings, got {key!r}")
        if isinstance(item, Mapping | list | tuple | set):
            raise InvalidInputError(f"{what}: the value of {key!r} must be a string")
        result[key] = item if isinstance(item, str) else str(item)
    return result


def next_version(
    conn: sqlite3.Connection, registry: str, name: str, wanted: int | None = None
) -> int:
    """Allocate the next version of ``name``; call inside a ``BEGIN IMMEDIATE`` transaction,
    which is what makes concurrent processes get distinct consecutive numbers.

    ``wanted`` claims that exact version instead (a copy of another workspace's version,
    as a sweep's worker node makes); it must be above every version handed out so far.
    """
    if wanted is not None:
        row = conn.execute(
            "SELECT last_version FROM version_counters WHERE registry = ? AND name = ?",
            (registry, name),
        ).fetchone()
        if wanted < 1 or (row is not None and int(row[0]) >= wanted):
            raise AlreadyExistsError(f"version {wanted} of {name!r} is taken or invalid")
        conn.execute(
            "INSERT INTO version_counters (registry, name, last_version) VALUES (?, ?, ?) "
            "ON CONFLICT (registry, name) DO UPDATE SET last_version = excluded.last_version",
            (registry, name, wanted),
        )
        return wanted
    conn.execute(
        "INSERT INTO version_counters (registry, name, last_version) VALUES (?, ?, 1) "
        "ON CONFLICT (registry, name) DO UPDATE SET last_version = last_version + 1",
        (registry, name),
    )
    (version,) = conn.execute(
        "SELECT last_version FROM version_counters WHERE registry = ? AND name = ?",
        (registry, name),
    ).fetchone()
    return int(version)


def is_referenced(conn: sqlite3.Connection, digest: str) -> bool:
    """Whether any registered thing still uses the blob ``digest``."""
    (used,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM model_files WHERE sha256 = ?)"
        " OR EXISTS (SELECT 1 FROM datasets WHERE rows_sha256 = ?)"
        " OR EXISTS (SELECT 1 FROM environments WHERE spec_sha256 = ?)",
        (digest, digest, digest),
    ).fetchone()
    return bool(used)


def fetch_version(
    conn: sqlite3.Connection, table: str, columns: str, name: str, version: int | None, what: str
) -> tuple[Any, ...]:
    """The row of ``name:version`` (``version=None``: the latest) of a versioned registry."""
    if version is None:
        row = conn.execute(
            f"SELECT {columns} FROM {table} WHERE name = ? ORDER BY version DESC LIMIT 1", (name,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no {what} named {name!r}")
    else:
        row = conn.execute(
            f"SELECT {columns} FROM {table} WHERE name = ? AND version = ?", (name, version)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{what} {name}:{version} not found")
    return tuple(row)


def fetch_all(
    conn: sqlite3.Connection, table: str, columns: str, name: str | None, what: str
) -> list[tuple[Any, ...]]:
    """Every version (of one name, if given), ordered by name and version."""
    if name is None:
        cursor = conn.execute(f"SELECT {columns} FROM {table} ORDER BY name, version")
    else:
        validate_name(name, f"{what} name")
        cursor = conn.execute(
            f"SELECT {columns} FROM {table} WHERE name = ? ORDER BY version", (name,)
        )
    return [tuple(row) for row in cursor.fetchall()]
