"""The dataset registry: versions of a list of request bodies (one string column)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from typing import get_args

from servesize.errors import AlreadyExistsError, InvalidInputError, ServesizeError
from servesize.workspace._artifacts import ArtifactStore
from servesize.workspace._common import (
    dumps,
    fetch_all,
    fetch_version,
    load_json,
    next_version,
    parse_time,
    string_map,
)
from servesize.workspace._db import Database
from servesize.workspace._names import format_id, parse_id, validate_name
from servesize.workspace._records import DatasetFormat, DatasetRecord, utc_now

__all__ = ["DatasetRegistry"]

_COLUMNS = "name, version, description, tags, format, row_count, created_time, source, rows_sha256"


class DatasetRegistry:
    def __init__(self, db: Database, artifacts: ArtifactStore) -> None:
        self._db = db
        self._artifacts = artifacts

    def register(
        self,
        name: str,
        rows: Sequence[str],
        description: str | None = None,
        tags: Mapping[str, object] | None = None,
        format: DatasetFormat = "lines",
        source: str | None = None,
        create_new_version: bool = True,
        version: int | None = None,
    ) -> DatasetRecord:
        """Store ``rows`` as the next version of ``name`` (at least one row, all strings),
        or as ``version``, which must be above every version of ``name`` so far."""
        validate_name(name, "dataset name")
        if isinstance(rows, str | bytes) or not all(isinstance(r, str) for r in rows):
            raise InvalidInputError("dataset rows must be a list of strings")
        if not rows:
            raise InvalidInputError("a dataset needs at least one row")
        if format not in get_args(DatasetFormat):
            raise InvalidInputError(f"unknown dataset format {format!r}")
        tag_map = string_map(tags, "tags")
        blob = json.dumps(list(rows), ensure_ascii=False).encode()
        digest = self._artifacts.put_bytes(blob)
        with self._db.write() as conn:
            if not self._artifacts.exists(digest):
                self._artifacts.put_bytes(blob)
            exists = conn.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone()
            if exists and not create_new_version:
                raise AlreadyExistsError(
                    f"dataset {name!r} already exists (register with create_new_version=True)"
                )
            version = next_version(conn, "datasets", name, version)
            conn.execute(
                "INSERT INTO datasets (name, version, description, tags, format, row_count, "
                "rows_sha256, source, created_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    version,
                    description,
                    dumps(tag_map),
                    format,
                    len(rows),
                    digest,
                    source,
                    utc_now().isoformat(),
                ),
            )
        return self.get(format_id(name, version))

    def get(self, id_or_name: str) -> DatasetRecord:
        name, version = parse_id(id_or_name, "dataset id")
        with self._db.read() as conn:
            return _record(fetch_version(conn, "datasets", _COLUMNS, name, version, "dataset"))

    def list(self, name: str | None = None) -> list[DatasetRecord]:
        with self._db.read() as conn:
            return [_record(r) for r in fetch_all(conn, "datasets", _COLUMNS, name, "dataset")]

    def rows(self, id_or_name: str) -> builtins.list[str]:
        """Every request body of one version, in order."""
        record = self.get(id_or_name)
        rows = json.loads(self._artifacts.read_bytes(record.rows_sha256))
        if not isinstance(rows, list) or len(rows) != record.row_count:
            raise ServesizeError(f"corrupt workspace: rows of dataset {record.id} do not match")
        return [str(r) for r in rows]


def _record(row: tuple[object, ...]) -> DatasetRecord:
    return DatasetRecord(
        name=str(row[0]),
        version=int(str(row[1])),
        description=None if row[2] is None else str(row[2]),
        tags=load_json(str(row[3]), {}),
        format=str(row[4]),  # type: ignore[arg-type]  # only valid formats are ever written
        row_count=int(str(row[5])),
        created_time=parse_time(str(row[6])),
        source=None if row[7] is None else str(row[7]),
        rows_sha256=str(row[8]),
    )
