"""The model registry: versions of a file or a folder, their tags and properties."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from servesize.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from servesize.workspace._artifacts import ArtifactStore
from servesize.workspace._common import (
    dumps,
    fetch_all,
    fetch_version,
    is_referenced,
    load_json,
    next_version,
    parse_time,
    string_map,
)
from servesize.workspace._db import Database
from servesize.workspace._names import format_id, parse_id, validate_name
from servesize.workspace._records import ModelFile, ModelRecord, utc_now

__all__ = ["ModelRegistry"]

_COLUMNS = "id, name, version, description, tags, properties, created_time, path_name, is_folder"


class ModelRegistry:
    def __init__(self, db: Database, artifacts: ArtifactStore) -> None:
        self._db = db
        self._artifacts = artifacts

    def register(
        self,
        name: str,
        path: Path | str,
        description: str | None = None,
        tags: Mapping[str, object] | None = None,
        properties: Mapping[str, object] | None = None,
        version: int | None = None,
    ) -> ModelRecord:
        """Store a file or a folder as the next version of ``name`` (or as ``version``,
        which must be above every version of ``name`` so far)."""
        validate_name(name, "model name")
        tag_map, property_map = string_map(tags, "tags"), string_map(properties, "properties")
        source = Path(path)
        sources = _collect(source)
        # Hash and copy the bytes before taking the write lock: a big model must not
        # block other writers while it is copied.
        stored = [(rel, src, *self._artifacts.put_file(src)) for rel, src in sources]
        created = utc_now()
        with self._db.write() as conn:
            for _, src, digest, _ in stored:
                # A concurrent delete may have removed an identical blob meanwhile.
                if not self._artifacts.exists(digest):
                    self._artifacts.put_file(src)
            version = next_version(conn, "models", name, version)
            cursor = conn.execute(
                "INSERT INTO models (name, version, description, tags, properties, "
                "created_time, path_name, is_folder) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    version,
                    description,
                    dumps(tag_map),
                    dumps(property_map),
                    created.isoformat(),
                    _base_name(source),
                    source.is_dir(),
                ),
            )
            conn.executemany(
                "INSERT INTO model_files (model_id, path, sha256, size) VALUES (?, ?, ?, ?)",
                [(cursor.lastrowid, rel, digest, size) for rel, _, digest, size in stored],
            )
        return self.get(format_id(name, version))

    def get(self, id_or_name: str) -> ModelRecord:
        """One version; ``"name"`` alone means the latest."""
        name, version = parse_id(id_or_name, "model id")
        with self._db.read() as conn:
            return _fetch(conn, name, version)

    def list(self, name: str | None = None) -> list[ModelRecord]:
        with self._db.read() as conn:
            rows = fetch_all(conn, "models", _COLUMNS, name, "model")
            return [_record(conn, row) for row in rows]

    def update(
        self,
        id_or_name: str,
        *,
        add_tags: Mapping[str, object] | None = None,
        add_properties: Mapping[str, object] | None = None,
        remove_tags: Iterable[str] | None = None,
    ) -> ModelRecord:
        """Add tags, add properties and remove tags of one version in one transaction."""
        name, version = parse_id(id_or_name, "model id")
        new_tags = string_map(add_tags, "tags")
        new_properties = string_map(add_properties, "properties")
        with self._db.write() as conn:
            record = _fetch(conn, name, version)
            tags = {**record.tags, **new_tags}
            for key in remove_tags or ():
                tags.pop(key, None)
            for key, value in new_properties.items():
                # Azure: properties can be added but never changed once set.
                if key in record.properties and record.properties[key] != value:
                    raise InvalidInputError(
                        f"property {key!r} of model {record.id} is already set; "
                        "properties cannot be changed (use a tag)"
                    )
            properties = {**record.properties, **new_properties}
            conn.execute(
                "UPDATE models SET tags = ?, properties = ? WHERE name = ? AND version = ?",
                (dumps(tags), dumps(properties), record.name, record.version),
            )
        return self.get(record.id)

    def delete(self, id_or_name: str) -> ModelRecord:
        """Delete one version; blobs no other version, dataset or environment uses go too."""
        name, version = parse_id(id_or_name, "model id")
        staged: list[Path] = []
        try:
            with self._db.write() as conn:
                record = _fetch(conn, name, version)
                conn.execute(
                    "DELETE FROM models WHERE name = ? AND version = ?",
                    (record.name, record.version),
                )
                for digest in sorted({f.sha256 for f in record.files}):
                    if not is_referenced(conn, digest):
                        moved = self._artifacts.stage_removal(digest)
                        if moved is not None:
                            staged.append(moved)
        except BaseException:
            for moved in staged:
                self._artifacts.undo_removal(moved)
            raise
        for moved in staged:
            self._artifacts.finish_removal(moved)
        return record

    def download(self, id_or_name: str, target_dir: Path | str, exist_ok: bool = False) -> Path:
        """Copy a version out as ``target_dir/<registered file or folder name>``."""
        record = self.get(id_or_name)
        target = Path(target_dir) / record.path_name
        if target.exists() and not exist_ok:
            raise AlreadyExistsError(
                f"{target} already exists (replace it with exist_ok=True or --overwrite)"
            )
        self._write(record, Path(target_dir))
        return target

    def materialize(self, ids: Sequence[str], dest: Path) -> Path:
        """Lay models out as Azure's ``AZUREML_MODEL_DIR``: ``dest/<name>/<version>/...``.

        One model: returns ``dest/<name>/<version>``, the folder holding the registered
        file or folder.  Several: returns ``dest``.
        """
        if isinstance(ids, str) or not ids:
            raise InvalidInputError("give at least one model id (a list of ids)")
        records = {record.id: record for record in (self.get(i) for i in ids)}
        for record in records.values():
            self._write(record, dest / record.name / str(record.version))
        if len(records) == 1:
            (only,) = records.values()
            return dest / only.name / str(only.version)
        return dest

    def _write(self, record: ModelRecord, folder: Path) -> None:
        base = (folder / record.path_name).resolve() if record.is_folder else None
        for file in record.files:
            if base is None:
                target = folder / record.path_name
            else:
                target = (base / file.path).resolve()
                if not target.is_relative_to(base):
                    raise InvalidInputError(f"corrupt workspace: unsafe path {file.path!r}")
            self._artifacts.copy_to(file.sha256, target)


def _collect(source: Path) -> list[tuple[str, Path]]:
    """The files to store as ``(path below the model root, file)``, in a stable order."""
    if source.is_file():
        return [(source.name, source)]
    if not source.is_dir():
        raise NotFoundError(f"no such file or folder: {source}")
    found = []
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        for file in sorted(files):
            path = Path(folder, file)
            if path.is_file():  # skips broken links, sockets and the like
                found.append((path.relative_to(source).as_posix(), path))
    if not found:
        raise InvalidInputError(f"folder {source} holds no files to register")
    return found


def _base_name(source: Path) -> str:
    # abspath folds "." and ".." without following links: "../m" is stored as "m".
    return Path(os.path.abspath(source)).name or "model"


def _fetch(conn: sqlite3.Connection, name: str, version: int | None) -> ModelRecord:
    return _record(conn, fetch_version(conn, "models", _COLUMNS, name, version, "model"))


def _record(conn: sqlite3.Connection, row: tuple[object, ...]) -> ModelRecord:
    files = conn.execute(
        "SELECT path, sha256, size FROM model_files WHERE model_id = ? ORDER BY path", (row[0],)
    ).fetchall()
    return ModelRecord(
        name=str(row[1]),
        version=int(str(row[2])),
        description=None if row[3] is None else str(row[3]),
        tags=load_json(str(row[4]), {}),
        properties=load_json(str(row[5]), {}),
        created_time=parse_time(str(row[6])),
        path_name=str(row[7]),
        is_folder=bool(row[8]),
        files=tuple(ModelFile(str(p), str(d), int(s)) for p, d, s in files),
    )
