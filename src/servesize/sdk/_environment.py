"""``Environment``: what the entry script needs (pip/conda requirements, variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servesize.sdk._workspace import Workspace, store_of
from servesize.workspace import (
    EnvironmentRecord,
    Store,
    format_id,
    pip_from_conda,
    read_conda_specification,
    read_pip_requirements,
    validate_name,
)

__all__ = ["Environment"]

WorkspaceLike = Workspace | Store | str | Path


class Environment:
    """An environment definition; mutable until registered, like Azure's.

    >>> env = Environment.from_pip_requirements("sklearn-env", "requirements.txt")
    >>> env.environment_variables["OMP_NUM_THREADS"] = "1"
    >>> env = env.register(ws)
    >>> env.version
    1
    """

    def __init__(self, name: str) -> None:
        self.name = validate_name(name, "environment name")
        self.version: int | None = None
        self.description: str | None = None
        self.pip_requirements: list[str] = []
        self.conda_dependencies: dict[str, Any] | None = None
        self.environment_variables: dict[str, str] = {}
        self._spec: str | None = None

    @staticmethod
    def from_pip_requirements(
        name: str, file_path: str | Path, pip_version: str | None = None
    ) -> Environment:
        """An environment from a pip requirements file (``pip_version`` is Azure's, ignored)."""
        env = Environment(name)
        env.pip_requirements, env._spec = read_pip_requirements(Path(file_path))
        return env

    @staticmethod
    def from_conda_specification(name: str, file_path: str | Path) -> Environment:
        """An environment from a conda YAML file; its ``pip:`` section gives the requirements."""
        env = Environment(name)
        spec, env._spec = read_conda_specification(Path(file_path))
        env.set_conda_dependencies(spec)
        return env

    def set_conda_dependencies(self, spec: dict[str, Any]) -> None:
        self.conda_dependencies = dict(spec)
        self.pip_requirements = pip_from_conda(spec)

    @classmethod
    def _from_record(cls, workspace: object, record: EnvironmentRecord) -> Environment:
        env = cls(record.name)
        env.version = record.version
        env.description = record.description
        env.pip_requirements = list(record.pip_requirements)
        env.conda_dependencies = record.conda_dependencies
        env.environment_variables = dict(record.environment_variables)
        return env

    @property
    def id(self) -> str | None:
        """``name:version`` once registered."""
        return None if self.version is None else format_id(self.name, self.version)

    def register(self, workspace: WorkspaceLike) -> Environment:
        """Store this definition as the next version of its name; returns the stored one."""
        record = store_of(workspace).environments.register(
            self.name,
            pip_requirements=self.pip_requirements,
            conda_dependencies=self.conda_dependencies,
            environment_variables=self.environment_variables,
            description=self.description,
            spec=self._spec,
        )
        return Environment._from_record(workspace, record)

    @staticmethod
    def get(workspace: WorkspaceLike, name: str, version: int | str | None = None) -> Environment:
        ident = name if version is None else format_id(name, int(version))
        return Environment._from_record(workspace, store_of(workspace).environments.get(ident))

    @staticmethod
    def list(workspace: WorkspaceLike) -> dict[str, Environment]:
        """The latest version of each environment, by name (Azure returns a dict too)."""
        records = store_of(workspace).environments.list()
        return {r.name: Environment._from_record(workspace, r) for r in records}

    def serialize(self) -> dict[str, Any]:
        """The inline JSON form an inference config accepts."""
        python: dict[str, Any] = {"pip": list(self.pip_requirements)}
        if self.conda_dependencies is not None:
            python = {"condaDependencies": self.conda_dependencies}
        data: dict[str, Any] = {
            "name": self.name,
            "python": python,
            "environmentVariables": dict(self.environment_variables),
        }
        if self.version is not None:
            data["version"] = str(self.version)
        return data

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r}, version={self.version!r})"
