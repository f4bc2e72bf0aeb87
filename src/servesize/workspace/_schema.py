"""The workspace schema as an ordered list of migrations.

A migration is never edited once released: a change to the schema is a new entry at
the end.  Each is applied in one transaction together with its row in
``schema_migrations``, so a crash leaves the database at the previous version.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["MIGRATIONS", "Migration"]


class Migration(NamedTuple):
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "registries",
        (
            # Versions come from a counter, not MAX(version)+1, so a deleted version's
            # number is never handed out again: "name:3" always meant one thing.
            """CREATE TABLE version_counters (
                registry TEXT NOT NULL,
                name TEXT NOT NULL,
                last_version INTEGER NOT NULL,
                PRIMARY KEY (registry, name)
            )""",
            """CREATE TABLE models (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                description TEXT,
                tags TEXT NOT NULL DEFAULT '{}',
                properties TEXT NOT NULL DEFAULT '{}',
                created_time TEXT NOT NULL,
                path_name TEXT NOT NULL,
                is_folder INTEGER NOT NULL,
                UNIQUE (name, version)
            )""",
            """CREATE TABLE model_files (
                model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
                path TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size INTEGER NOT NULL,
                PRIMARY KEY (model_id, path)
            )""",
            "CREATE INDEX model_files_sha256 ON model_files (sha256)",
            """CREATE TABLE datasets (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                description TEXT,
                tags TEXT NOT NULL DEFAULT '{}',
                format TEXT NOT NULL,
                row_count INTEGER NOT NULL,
                rows_sha256 TEXT NOT NULL,
                source TEXT,
                created_time TEXT NOT NULL,
                UNIQUE (name, version)
            )""",
            "CREATE INDEX datasets_rows_sha256 ON datasets (rows_sha256)",
            """CREATE TABLE environments (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                description TEXT,
                pip_requirements TEXT NOT NULL DEFAULT '[]',
                conda_dependencies TEXT,
                environment_variables TEXT NOT NULL DEFAULT '{}',
                spec_sha256 TEXT,
                created_time TEXT NOT NULL,
                UNIQUE (name, version)
            )""",
            "CREATE INDEX environments_spec_sha256 ON environments (spec_sha256)",
        ),
    ),
    Migration(
        2,
        "profiles",
        (
            """CREATE TABLE profiles (
                name TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                description TEXT,
                request TEXT NOT NULL DEFAULT '{}',
                details TEXT NOT NULL DEFAULT '{}',
                record TEXT NOT NULL DEFAULT '{}',
                created_time TEXT NOT NULL,
                updated_time TEXT NOT NULL
            )""",
            """CREATE TABLE profile_series (
                profile TEXT NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                rows TEXT NOT NULL,
                PRIMARY KEY (profile, kind)
            )""",
        ),
    ),
    Migration(
        3,
        "environment_user_managed",
        (
            # Azure's python.user_managed_dependencies: run with the current interpreter
            # instead of building the environment.
            "ALTER TABLE environments ADD COLUMN user_managed INTEGER NOT NULL DEFAULT 0",
        ),
    ),
)
