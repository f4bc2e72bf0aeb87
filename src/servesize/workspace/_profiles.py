"""The profiles table the profiler fills (see docs/profiling.md), and its series.

Reading a profile whose runner process is gone (see ``_owner``) marks it ``Failed``
with an ``Interrupted`` error first, so every reader (CLI, SDK, report) agrees.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from servesize.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from servesize.workspace._common import load_json, parse_time
from servesize.workspace._db import Database
from servesize.workspace._names import validate_name
from servesize.workspace._owner import INTERRUPTED, owner_alive
from servesize.workspace._records import ProfileRecord, utc_now

__all__ = ["FINAL_STATES", "PROFILE_STATES", "ProfileRegistry", "profile_log_file"]

PROFILE_STATES: Final = ("NotStarted", "Running", "Succeeded", "Failed", "Cancelled", "TimedOut")
#: States after which nothing changes any more.
FINAL_STATES: Final = frozenset({"Succeeded", "Failed", "Cancelled", "TimedOut"})


def profile_log_file(root: Path, name: str) -> Path:
    """``<workspace>/logs/<name>.log``, the service log of profile ``name`` (not created)."""
    validate_name(name, "profile name")
    return root / "logs" / f"{name}.log"


_COLUMNS = "name, state, description, created_time, updated_time, details, record, request"


class ProfileRegistry:
    def __init__(self, db: Database, root: Path) -> None:
        self._db = db
        self._root = root

    def create(
        self, name: str, description: str | None, request: Mapping[str, Any]
    ) -> ProfileRecord:
        """A new profile in state ``NotStarted``; a taken name is :class:`AlreadyExistsError`."""
        validate_name(name, "profile name")
        now = utc_now().isoformat()
        with self._db.write() as conn:
            try:
                conn.execute(
                    "INSERT INTO profiles (name, state, description, request, created_time, "
                    "updated_time) VALUES (?, 'NotStarted', ?, ?, ?, ?)",
                    (name, description, _json(request, "request"), now, now),
                )
            except sqlite3.IntegrityError as exc:
                raise AlreadyExistsError(f"a profile named {name!r} already exists") from exc
        return self.get(name)

    def update(
        self,
        name: str,
        *,
        state: str | None = None,
        details: Mapping[str, Any] | None = None,
        record: Mapping[str, Any] | None = None,
    ) -> ProfileRecord:
        """Replace the given fields (``details``/``record`` wholesale) and touch the time."""
        validate_name(name, "profile name")
        if state is not None and state not in PROFILE_STATES:
            raise InvalidInputError(f"unknown profile state {state!r}")
        changes: dict[str, object] = {"updated_time": utc_now().isoformat()}
        if state is not None:
            changes["state"] = state
        if details is not None:
            changes["details"] = _json(details, "details")
        if record is not None:
            changes["record"] = _json(record, "record")
        assignments = ", ".join(f"{column} = ?" for column in changes)  # fixed column names
        with self._db.write() as conn:
            cursor = conn.execute(
                f"UPDATE profiles SET {assignments} WHERE name = ?", (*changes.values(), name)
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no profile named {name!r}")
        return self.get(name)

    def get(self, name: str) -> ProfileRecord:
        validate_name(name, "profile name")
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM profiles WHERE name = ?", (name,))
            found = row.fetchone()
        if found is None:
            raise NotFoundError(f"no profile named {name!r}")
        return self._unless_interrupted(_record(found))

    def list(self) -> list[ProfileRecord]:
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM profiles ORDER BY created_time, name")
            found = rows.fetchall()
        return [self._unless_interrupted(_record(row)) for row in found]

    def _unless_interrupted(self, record: ProfileRecord) -> ProfileRecord:
        """``record``, or, when its runner process died before a final state, the record
        marked ``Failed`` with an ``Interrupted`` error (stored, so it happens once)."""
        runner = record.record.get("runner")
        if record.state in FINAL_STATES or not runner or owner_alive(runner):
            return record
        message = (
            f"interrupted: the process running this profile (pid {runner.get('pid')}) "
            "stopped before it finished"
        )
        details = {**record.details, "interrupted": True}
        details["error"] = {"message": message, "type": INTERRUPTED}
        return self.update(record.name, state="Failed", details=details)

    def delete(self, name: str) -> None:
        """Delete a profile, its series and its log."""
        validate_name(name, "profile name")
        with self._db.write() as conn:
            if conn.execute("DELETE FROM profiles WHERE name = ?", (name,)).rowcount == 0:
                raise NotFoundError(f"no profile named {name!r}")
        profile_log_file(self._root, name).unlink(missing_ok=True)

    def put_series(self, name: str, kind: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Store (replace) one named series of a profile, e.g. ``samples`` or ``windows``."""
        validate_name(name, "profile name")
        validate_name(kind, "series kind")
        text = _json([dict(row) for row in rows], "series rows")
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM profiles WHERE name = ?", (name,)).fetchone() is None:
                raise NotFoundError(f"no profile named {name!r}")
            conn.execute(
                "INSERT INTO profile_series (profile, kind, rows) VALUES (?, ?, ?) "
                "ON CONFLICT (profile, kind) DO UPDATE SET rows = excluded.rows",
                (name, kind, text),
            )

    def series_kinds(self, name: str) -> builtins.list[str]:
        """The kinds of series stored for a profile, sorted."""
        validate_name(name, "profile name")
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT kind FROM profile_series WHERE profile = ? ORDER BY kind", (name,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def get_series(self, name: str, kind: str) -> builtins.list[dict[str, Any]]:
        """One series of a profile; a kind never stored is an empty list."""
        validate_name(name, "profile name")
        validate_name(kind, "series kind")
        with self._db.read() as conn:
            if conn.execute("SELECT 1 FROM profiles WHERE name = ?", (name,)).fetchone() is None:
                raise NotFoundError(f"no profile named {name!r}")
            row = conn.execute(
                "SELECT rows FROM profile_series WHERE profile = ? AND kind = ?", (name, kind)
            ).fetchone()
        return [] if row is None else list(json.loads(row[0]))


def _json(value: object, what: str) -> str:
    if not isinstance(value, Mapping | list):
        raise InvalidInputError(f"profile {what} must be a JSON object")
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"profile {what} cannot be stored as JSON: {exc}") from exc


def _record(row: tuple[object, ...]) -> ProfileRecord:
    return ProfileRecord(
        name=str(row[0]),
        state=str(row[1]),
        description=None if row[2] is None else str(row[2]),
        created_time=parse_time(str(row[3])),
        updated_time=parse_time(str(row[4])),
        details=load_json(str(row[5]), {}),
        record=load_json(str(row[6]), {}),
        request=load_json(str(row[7]), {}),
    )
