"""``Dataset``: Azure ML SDK v1's tabular datasets, reduced to what a profile needs:
one string column whose rows are request bodies."""

from __future__ import annotations

import enum
import glob
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError, NotFoundError
from servesize.sdk._datastore import DataPath, local_path_of
from servesize.sdk._workspace import Workspace, store_of
from servesize.workspace import (
    DatasetFormat,
    DatasetRecord,
    Store,
    format_id,
    read_csv_table,
    read_text,
    rows_from_lines,
    select_column,
)

__all__ = ["Dataset", "PromoteHeadersBehavior", "TabularDataset", "TabularDatasetFactory"]

WorkspaceLike = Workspace | Store | str | Path
# a local path, a (Datastore, "path") tuple, a DataPath, or a list of those
PathLike = str | Path | DataPath | Sequence[Any]

_ENCODINGS = {"utf8": "utf-8", "utf8bom": "utf-8-sig", "iso88591": "iso-8859-1"}
_ENCODINGS |= {"windows1252": "cp1252", "utf16": "utf-16", "utf32": "utf-32"}


class PromoteHeadersBehavior(enum.Enum):
    """Azure's ``azureml.data.dataset_type_definitions.PromoteHeadersBehavior``."""

    NO_HEADERS = 0
    ONLY_FIRST_FILE_HAS_HEADERS = 1
    COMBINE_ALL_FILES_HEADERS = 2
    ALL_FILES_HAVE_SAME_HEADERS = 3


_EVERY_FILE_HAS_HEADER = (
    PromoteHeadersBehavior.ALL_FILES_HAVE_SAME_HEADERS,
    PromoteHeadersBehavior.COMBINE_ALL_FILES_HEADERS,
)


class TabularDataset:
    """Rows of named string columns; registering needs exactly one column."""

    def __init__(
        self,
        columns: Sequence[str],
        records: Sequence[Sequence[str]],
        format: DatasetFormat = "lines",
        source: str | None = None,
    ) -> None:
        self.columns = list(columns)
        self._records = [list(r) for r in records]
        self.format: DatasetFormat = format
        self.source = source
        self.name: str | None = None
        self.version: int | None = None
        self.description: str | None = None
        self.tags: dict[str, str] = {}

    @classmethod
    def _from_record(cls, workspace: WorkspaceLike, record: DatasetRecord) -> TabularDataset:
        rows = store_of(workspace).datasets.rows(record.id)
        dataset = cls(["Column1"], [[row] for row in rows], record.format, record.source)
        dataset.name, dataset.version = record.name, record.version
        dataset.description, dataset.tags = record.description, dict(record.tags)
        return dataset

    @property
    def id(self) -> str | None:
        """``name:version`` once registered (Azure's is a GUID)."""
        return (
            None
            if self.name is None or self.version is None
            else format_id(self.name, self.version)
        )

    def rows(self) -> list[str]:
        """The request bodies: the values of the one column."""
        return select_column(self.columns, self._records, None, self.source or "dataset")

    def take(self, count: int) -> TabularDataset:
        return self._derive(self.columns, self._records[: max(count, 0)])

    def keep_columns(self, columns: str | Sequence[str], validate: bool = False) -> TabularDataset:
        wanted = [columns] if isinstance(columns, str) else list(columns)
        missing = [c for c in wanted if c not in self.columns]
        if missing:
            raise InvalidInputError(
                f"no column {missing[0]!r} (columns: {', '.join(self.columns)})"
            )
        indexes = [self.columns.index(c) for c in wanted]
        return self._derive(wanted, [[r[i] for i in indexes] for r in self._records])

    def drop_columns(self, columns: str | Sequence[str]) -> TabularDataset:
        dropped = {columns} if isinstance(columns, str) else set(columns)
        return self.keep_columns([c for c in self.columns if c not in dropped])

    def register(
        self,
        workspace: WorkspaceLike,
        name: str,
        description: str | None = None,
        tags: Mapping[str, object] | None = None,
        create_new_version: bool = False,
    ) -> TabularDataset:
        """Store the rows as a version of ``name``; Azure's default refuses a taken name."""
        record = store_of(workspace).datasets.register(
            name,
            self.rows(),
            description=description,
            tags=tags,
            format=self.format,
            source=self.source,
            create_new_version=create_new_version,
        )
        return TabularDataset._from_record(workspace, record)

    def _derive(self, columns: Sequence[str], records: Sequence[Sequence[str]]) -> TabularDataset:
        return TabularDataset(columns, records, self.format, self.source)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"TabularDataset(id={self.id!r}, columns={self.columns!r}, rows={len(self)})"


class TabularDatasetFactory:
    """``Dataset.Tabular``: build a dataset from local files."""

    @staticmethod
    def from_delimited_files(
        path: PathLike,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: Any = None,
        separator: str = ",",
        header: bool | str | int | PromoteHeadersBehavior = True,
        encoding: str = "utf8",
        **_azure_only: Any,
    ) -> TabularDataset:
        """``separator='\\n'`` takes each line as one row (the profiling seed's idiom);
        any other separator reads CSV. Column types are never inferred: bodies are text."""
        if include_path:
            raise InvalidInputError("include_path is not supported: a dataset has one column")
        mode = _header_mode(header)
        files = _expand(path)
        names: list[str] | None = None
        records: list[list[str]] = []
        for index, file in enumerate(files):
            has_header = mode in _EVERY_FILE_HAS_HEADER or (
                mode is PromoteHeadersBehavior.ONLY_FIRST_FILE_HAS_HEADERS and index == 0
            )
            text = read_text(file, _encoding(encoding))
            if separator in ("\n", "\r\n"):
                lines = rows_from_lines(text)
                file_names = lines[:1] if has_header else ["Column1"]
                file_records = [[line] for line in (lines[1:] if has_header else lines)]
            else:
                file_names, file_records = read_csv_table(text, str(file), separator, has_header)
            if names is not None and has_header and file_names != names:
                raise InvalidInputError(f"{file} has other columns than {files[0]}")
            names = names if names is not None else file_names
            records.extend(file_records)
        return _non_empty(
            TabularDataset(
                names or ["Column1"],
                records,
                "lines" if separator in ("\n", "\r\n") else "csv",
                _describe(files),
            ),
        )

    @staticmethod
    def from_json_lines_files(
        path: PathLike,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: Any = None,
        partition_format: str | None = None,
        invalid_lines: str = "error",
        encoding: str = "utf8",
    ) -> TabularDataset:
        """One JSON value per line, each row sent as its JSON text (Azure would split an
        object's keys into columns; a profile wants whole bodies)."""
        if invalid_lines not in ("error", "drop"):
            raise InvalidInputError("invalid_lines must be 'error' or 'drop'")
        files = _expand(path)
        rows: list[list[str]] = []
        for file in files:
            for number, line in enumerate(read_text(file, _encoding(encoding)).splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    json.loads(line)
                except json.JSONDecodeError as exc:
                    if invalid_lines == "drop":
                        continue
                    raise InvalidInputError(f"{file} line {number}: not JSON ({exc.msg})") from exc
                rows.append([line.strip()])
        return _non_empty(TabularDataset(["Column1"], rows, "jsonl", _describe(files)))


class Dataset:
    """Azure's ``Dataset``: ``Dataset.Tabular`` builds, ``get_by_name`` loads."""

    Tabular = TabularDatasetFactory

    @staticmethod
    def get_by_name(
        workspace: WorkspaceLike, name: str, version: int | str = "latest"
    ) -> TabularDataset:
        ident = name if version in ("latest", None) else format_id(name, int(version))
        return TabularDataset._from_record(workspace, store_of(workspace).datasets.get(ident))

    @staticmethod
    def get_by_id(workspace: WorkspaceLike, id: str) -> TabularDataset:  # Azure's name
        return TabularDataset._from_record(workspace, store_of(workspace).datasets.get(id))

    @staticmethod
    def get_all(workspace: WorkspaceLike) -> dict[str, TabularDataset]:
        records = {r.name: r for r in store_of(workspace).datasets.list()}
        return {n: TabularDataset._from_record(workspace, r) for n, r in records.items()}


def _header_mode(header: object) -> PromoteHeadersBehavior:
    if isinstance(header, bool):
        return (
            PromoteHeadersBehavior.ALL_FILES_HAVE_SAME_HEADERS
            if header
            else PromoteHeadersBehavior.NO_HEADERS
        )
    if isinstance(header, PromoteHeadersBehavior):
        return header
    # Azure's own enum (or its value/name) from ported code.
    key = getattr(header, "name", header)
    if isinstance(key, int) and not isinstance(key, bool):
        try:
            return PromoteHeadersBehavior(key)
        except ValueError:
            pass
    if isinstance(key, str) and key.upper() in PromoteHeadersBehavior.__members__:
        return PromoteHeadersBehavior[key.upper()]
    choices = ", ".join(m.name.lower() for m in PromoteHeadersBehavior)
    raise InvalidInputError(f"unknown header value {header!r} (use True, False or {choices})")


def _expand(path: PathLike) -> list[Path]:
    """Files named by a path, a folder (every file below it), a glob, a datastore path,
    or a list of those."""
    items: Sequence[Any]
    if isinstance(path, str | Path) or local_path_of(path) is not None:
        items = [path]
    elif isinstance(path, Sequence):
        items = path
    else:
        raise InvalidInputError(f"expected a file path or (datastore, path), got {path!r}")
    files: list[Path] = []
    for item in items:
        local = local_path_of(item)
        if local is None and not isinstance(item, str | Path):
            raise InvalidInputError(
                f"expected a file path or (datastore, path), got {type(item).__name__}"
            )
        text = local if local is not None else str(item)
        if any(ch in text for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            if not matches:
                raise NotFoundError(f"no file matches {text}")
            files.extend(m for m in matches if m.is_file())
        elif Path(text).is_dir():
            files.extend(sorted(p for p in Path(text).rglob("*") if p.is_file()))
        else:
            files.append(Path(text))  # a missing file is reported when it is read
    if not files:
        raise NotFoundError(f"no files in {path}")
    return files


def _encoding(name: str) -> str:
    return _ENCODINGS.get(name.lower().replace("-", "").replace("_", ""), name)


def _describe(files: list[Path]) -> str:
    return str(files[0]) if len(files) == 1 else f"{files[0]} (+{len(files) - 1} more)"


def _non_empty(dataset: TabularDataset) -> TabularDataset:
    if not len(dataset):
        raise InvalidInputError(f"{dataset.source} holds no rows; a dataset needs at least one")
    return dataset
