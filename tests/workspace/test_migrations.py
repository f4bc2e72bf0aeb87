from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from servesize.errors import ServesizeError
from servesize.workspace import DB_FILE, Store
from servesize.workspace._schema import MIGRATIONS

V1_TABLES = """
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                applied_time TEXT NOT NULL);
INSERT INTO schema_migrations VALUES (1, 'registries', '2024-01-01T00:00:00+00:00');
"""


def _v1_workspace(root: Path) -> Path:
    """A workspace as servesize's first schema left it, with one model registered."""
    root.mkdir()
    conn = sqlite3.connect(root / DB_FILE)
    for statement in MIGRATIONS[0].statements:
        conn.execute(statement)
    conn.executescript(V1_TABLES)
    conn.execute(
        "INSERT INTO models (name, version, description, tags, properties, created_time, "
        "path_name, is_folder) VALUES ('old', 1, 'kept', '{\"a\":\"1\"}', '{}', "
        "'2024-01-01T00:00:00+00:00', 'm.bin', 0)"
    )
    conn.execute("INSERT INTO version_counters VALUES ('models', 'old', 1)")
    conn.commit()
    conn.close()
    return root


def test_an_old_workspace_is_upgraded_in_place_and_keeps_its_data(tmp_path: Path) -> None:
    store = Store.open(_v1_workspace(tmp_path / "ws"))
    record = store.models.get("old")  # a read migrates
    assert (record.id, record.description, record.tags) == ("old:1", "kept", {"a": "1"})
    store.profiles.create("p", None, {})  # the table migration 2 adds
    conn = sqlite3.connect(tmp_path / "ws" / DB_FILE)
    versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    conn.close()
    assert versions == [m.version for m in MIGRATIONS]
    assert mode == "wal"
    assert store.models.register("old", tmp_path / "ws" / DB_FILE).id == "old:2"


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    root = _v1_workspace(tmp_path / "ws")
    conn = sqlite3.connect(root / DB_FILE)
    conn.execute("CREATE TABLE profiles (x)")  # collides with migration 2
    conn.commit()
    conn.close()
    with pytest.raises(ServesizeError, match="cannot open workspace"):
        Store.open(root).models.list()
    conn = sqlite3.connect(root / DB_FILE)
    (latest,) = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    conn.close()
    assert latest == 1


def test_a_newer_workspace_is_refused(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "ws")
    store.create()
    store.close()
    conn = sqlite3.connect(tmp_path / "ws" / DB_FILE)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(ServesizeError, match="newer"):
        Store.open(tmp_path / "ws").models.list()


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / DB_FILE).write_text("not sqlite at all " * 100)
    with pytest.raises(ServesizeError, match="cannot open workspace database"):
        Store.open(tmp_path / "ws").models.list()
