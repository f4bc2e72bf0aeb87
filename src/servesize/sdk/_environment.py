"""``Environment``: what the entry script needs (pip/conda requirements, variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError
from servesize.sdk._conda import CondaDependencies
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

__all__ = ["DockerSection", "Environment", "PythonSection"]

WorkspaceLike = Workspace | Store | str | Path


class PythonSection:
    """``env.python``: its ``conda_dependencies`` are the environment's requirements.

    ``user_managed_dependencies = True`` (Azure's flag) runs the entry script with the
    current Python instead of a built environment; ``interpreter_path`` is accepted.
    """

    def __init__(self, env: Environment) -> None:
        self._env = env
        self.user_managed_dependencies = False
        self.interpreter_path: str | None = None

    @property
    def conda_dependencies(self) -> CondaDependencies:
        """The live specification: editing it (``add_pip_package``) edits the environment."""
        env = self._env
        if env._conda is None:
            # Azure's environments always have one; start from the pip requirements
            env._conda = CondaDependencies.create(pip_packages=env._pip)
        return env._conda

    @conda_dependencies.setter
    def conda_dependencies(self, value: CondaDependencies) -> None:
        if not isinstance(value, CondaDependencies):
            raise InvalidInputError(
                f"conda_dependencies must be a CondaDependencies, got {type(value).__name__}"
            )
        self._env._conda = value


class DockerSection:
    """``env.docker``: Azure's image settings, accepted and ignored (nothing is built)."""

    def __init__(self) -> None:
        self.enabled = False
        self.base_image: str | None = None
        self.base_dockerfile: str | None = None
        self.base_image_registry: Any = None
        self.shm_size: str | None = None
        self.arguments: list[str] = []


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
        self.environment_variables: dict[str, str] = {}
        self.inferencing_stack_version: str | None = None  # Azure's; accepted
        self._pip: list[str] = []
        self._conda: CondaDependencies | None = None
        # the file text it was read from, and what that text said (see _spec_text)
        self._spec: str | None = None
        self._spec_of: object = None
        self.python = PythonSection(self)
        self.docker = DockerSection()

    @property
    def pip_requirements(self) -> list[str]:
        """The pip lines the entry script needs: the conda specification's ``pip:``
        section when there is one (what a profile checks and records)."""
        return list(self._pip) if self._conda is None else pip_from_conda(self._conda.as_dict())

    @pip_requirements.setter
    def pip_requirements(self, value: list[str]) -> None:
        self._pip = [str(line) for line in value]
        if self._conda is not None:
            conda = self._conda.as_dict()
            for item in conda.get("dependencies") or []:
                if isinstance(item, dict) and "pip" in item:
                    item["pip"] = list(self._pip)
                    break
            else:
                conda.setdefault("dependencies", []).append({"pip": list(self._pip)})
            self._conda = CondaDependencies._from_dict(conda)

    @property
    def conda_dependencies(self) -> dict[str, Any] | None:
        """The conda specification as a mapping, or None for a pip-only environment."""
        return None if self._conda is None else self._conda.as_dict()

    @conda_dependencies.setter
    def conda_dependencies(self, spec: dict[str, Any] | None) -> None:
        self._conda = None if spec is None else CondaDependencies._from_dict(dict(spec))

    @staticmethod
    def from_pip_requirements(
        name: str, file_path: str | Path, pip_version: str | None = None
    ) -> Environment:
        """An environment from a pip requirements file (``pip_version`` is Azure's, ignored)."""
        env = Environment(name)
        env.pip_requirements, env._spec = read_pip_requirements(Path(file_path))
        env._spec_of = env._state()
        return env

    @staticmethod
    def from_conda_specification(name: str, file_path: str | Path) -> Environment:
        """An environment from a conda YAML file; its ``pip:`` section gives the requirements."""
        env = Environment(name)
        spec, env._spec = read_conda_specification(Path(file_path))
        env.set_conda_dependencies(spec)
        env._spec_of = env._state()
        return env

    def set_conda_dependencies(self, spec: dict[str, Any]) -> None:
        self.conda_dependencies = dict(spec)

    def _state(self) -> object:
        return self._pip if self._conda is None else self._conda.as_dict()

    def _spec_text(self) -> str | None:
        """The file it was read from, unless edited since; then the specification now."""
        if self._spec is not None and self._spec_of == self._state():
            return self._spec
        return None if self._conda is None else self._conda.serialize_to_string()

    @classmethod
    def _from_record(cls, workspace: object, record: EnvironmentRecord) -> Environment:
        env = cls(record.name)
        env.version = record.version
        env.description = record.description
        env._pip = list(record.pip_requirements)
        env.conda_dependencies = record.conda_dependencies
        env.environment_variables = dict(record.environment_variables)
        env.python.user_managed_dependencies = record.user_managed
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
            spec=self._spec_text(),
            user_managed=bool(self.python.user_managed_dependencies),
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
        if self.python.user_managed_dependencies:
            python["userManagedDependencies"] = True
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
