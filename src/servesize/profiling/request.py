"""What a user asked to profile, resolved to plain values (no SDK objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servesize.environments import BuildSpec
from servesize.profiling.servers import AttachedUrl, ServerCommand
from servesize.profiling.settings import ProfileSettings

__all__ = ["EnvironmentSpec", "ProfileRequest"]


@dataclass(frozen=True)
class EnvironmentSpec:
    name: str | None = None
    version: int | str | None = None
    pip_requirements: tuple[str, ...] = ()
    environment_variables: dict[str, str] = field(default_factory=dict)
    #: the Python version a conda specification asks for (None: the current one)
    python: str | None = None
    #: Azure's ``python.user_managed_dependencies``: run with the current interpreter
    user_managed: bool = False
    #: False: the service is not servesize's scoring host (an MLflow model's own
    #: server), so the host's packages are not added to the build
    scoring_host: bool = True

    def build_spec(self) -> BuildSpec:
        return BuildSpec(
            self.name,
            int(str(self.version)) if str(self.version).isdigit() else None,
            self.pip_requirements,
            self.python,
            self.user_managed,
            self.scoring_host,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "pipRequirements": list(self.pip_requirements),
            "environmentVariables": dict(self.environment_variables),
            "python": self.python,
            "userManagedDependencies": self.user_managed,
        }


@dataclass(frozen=True)
class ProfileRequest:
    name: str
    model_ids: tuple[str, ...]
    #: None when ``server`` says what to run instead of an entry script
    entry_script: Path | None
    dataset_id: str
    source_directory: Path | None = None
    environment: EnvironmentSpec | None = None
    cpu: float | None = None
    memory_gb: float | None = None
    description: str | None = None
    settings: ProfileSettings = field(default_factory=ProfileSettings)
    #: requirements of a user-managed environment not installed here (reported, not fatal)
    missing_requirements: tuple[str, ...] = ()
    #: a server command or a running service's URL, instead of the entry script
    server: ServerCommand | AttachedUrl | None = None
    #: what the details should say about the service's environment (e.g. an MLflow
    #: model served with the current interpreter)
    environment_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "modelIds": list(self.model_ids),
            "entryScript": str(self.entry_script) if self.entry_script else None,
            "sourceDirectory": str(self.source_directory) if self.source_directory else None,
            "inputDatasetId": self.dataset_id,
            "environment": self.environment.to_dict() if self.environment else None,
            "cpu": self.cpu,
            "memoryInGB": self.memory_gb,
            "settings": self.settings.to_dict(),
            "missingRequirements": list(self.missing_requirements),
            "server": self.server.to_dict() if self.server else None,
        }
