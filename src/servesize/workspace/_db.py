"""The SQLite side of a workspace: connection settings, migrations, transactions.

One connection per :class:`Database`, shared by threads under a lock (the profiler
writes from a background thread).  WAL lets readers run while a writer writes; every
write is ``BEGIN IMMEDIATE`` so two processes allocating a version serialise on the
write lock instead of failing at commit time.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from servesize.errors import InvalidInputError, NotFoundError, ServesizeError
from servesize.workspace._schema import MIGRATIONS, Migration

__all__ = ["DB_FILE", "Database", "apply_migrations", "schema_version"]

DB_FILE = "servesize.db"
#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 60_000


class Database:
    """Lazily opened: nothing touches the disk until the first read or write."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / DB_FILE
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs; a missing workspace is NotFound."""
        with self._lock:
            conn = self._connection(create=False)
            try:
                conn.execute("BEGIN")
                yield conn
            finally:
                # a Ctrl-C can land between BEGIN and here: never leave the shared
                # connection inside a transaction
                if conn.in_transaction:
                    conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database's write lock from its start."""
        with self._lock:
            conn = self._connection(create=True)
            _control(conn, "BEGIN IMMEDIATE", self.root)
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            _control(conn, "COMMIT", self.root)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self, create: bool) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if not self.exists():
            if not create:
                raise NotFoundError(f"no workspace at {self.root}")
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidInputError(
                    f"cannot create workspace at {self.root}: {exc.strerror}"
                ) from exc
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=60
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _set_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            apply_migrations(conn)
        except sqlite3.DatabaseError as exc:
            raise ServesizeError(f"cannot open workspace database {self.path}: {exc}") from exc
        self._conn = conn
        return conn


def _set_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another process holds the new file's lock: the
    switch needs an exclusive lock and SQLite answers "database is locked" at once
    instead of waiting the busy timeout (seen when several writers create one
    workspace together)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # a backoff between attempts, not a synchronisation


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest applied migration, 0 for a database without our table."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if row is None:
        return 0
    (version,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(version)


def apply_migrations(
    conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[int]:
    """Bring the schema up to date in one transaction; return the versions applied."""
    latest = migrations[-1].version
    # Cheap check first so an up-to-date workspace opens without taking the write lock.
    current = schema_version(conn)
    if current == latest:
        return []
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_time TEXT NOT NULL)"
        )
        current = schema_version(conn)  # another process may have migrated meanwhile
        if current > latest:
            raise ServesizeError(
                f"the workspace uses schema {current}, newer than this servesize knows "
                f"({latest}); upgrade servesize"
            )
        applied = []
        for migration in migrations:
            if migration.version <= current:
                continue
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_time) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
            applied.append(migration.version)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return applied


def _control(conn: sqlite3.Connection, sql: str, root: Path) -> None:
    """Run BEGIN/COMMIT, turning a lock timeout or a read-only disk into our error."""
    try:
        conn.execute(sql)
    except sqlite3.OperationalError as exc:
        raise ServesizeError(f"workspace {root} is busy or unwritable: {exc}") from exc
