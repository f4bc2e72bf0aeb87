"""Typed records: what the store hands out.  Rows become these frozen dataclasses at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from servesize.workspace._names import format_id

__all__ = [
    "DatasetFormat",
    "DatasetRecord",
    "EnvironmentRecord",
    "ModelFile",
    "ModelRecord",
    "ProfileRecord",
    "utc_now",
]

DatasetFormat = Literal["lines", "jsonl", "csv"]


def utc_now() -> datetime:
    """The current time, timezone-aware, as every record stores it."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass(frozen=True)
class ModelFile:
    """One file of a registered model: its path below the model's root and its content hash."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelRecord:
    """One registered model version (a file or a folder)."""

    name: str
    version: int
    description: str | None
    tags: dict[str, str]
    properties: dict[str, str]
    created_time: datetime
    #: The base name of the registered file or folder; downloads and AZUREML_MODEL_DIR keep it.
    path_name: str
    is_folder: bool
    files: tuple[ModelFile, ...] = field(default=())

    @property
    def id(self) -> str:
        return format_id(self.name, self.version)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """Azure-style camelCase form (``az ml model show`` keys)."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "tags": dict(self.tags),
            "properties": dict(self.properties),
            "createdTime": _iso(self.created_time),
            "path": self.path_name,
            "kind": "folder" if self.is_folder else "file",
            "files": len(self.files),
            "sizeInBytes": self.size,
        }


@dataclass(frozen=True)
class DatasetRecord:
    """One registered dataset version: a single string column, one request body a row."""

    name: str
    version: int
    description: str | None
    tags: dict[str, str]
    format: DatasetFormat
    row_count: int
    created_time: datetime
    source: str | None
    rows_sha256: str

    @property
    def id(self) -> str:
        return format_id(self.name, self.version)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "tags": dict(self.tags),
            "format": self.format,
            "rowCount": self.row_count,
            "source": self.source,
            "createdTime": _iso(self.created_time),
        }


@dataclass(frozen=True)
class EnvironmentRecord:
    """One registered environment version: what the profiler needs to run the entry script."""

    name: str
    version: int
    pip_requirements: list[str]
    #: The parsed conda specification (``name``, ``channels``, ``dependencies``), if any.
    conda_dependencies: dict[str, Any] | None
    environment_variables: dict[str, str]
    created_time: datetime
    description: str | None = None
    #: Azure's ``python.user_managed_dependencies``: run with the current interpreter.
    user_managed: bool = False

    @property
    def id(self) -> str:
        return format_id(self.name, self.version)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "pipRequirements": list(self.pip_requirements),
            "userManagedDependencies": self.user_managed,
            "condaDependencies": self.conda_dependencies,
            "environmentVariables": dict(self.environment_variables),
            "createdTime": _iso(self.created_time),
        }


@dataclass(frozen=True)
class ProfileRecord:
    """One profile row; the profiler fills ``details`` and ``record`` (docs/profiling.md)."""

    name: str
    state: str
    description: str | None
    created_time: datetime
    updated_time: datetime
    details: dict[str, Any]
    record: dict[str, Any]
    #: What was asked for (models, dataset, config, limits), as given to ``create``.
    request: dict[str, Any] = field(default_factory=dict)
