"""``InferenceConfig``: the entry script, its source folder and its environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError, NotFoundError
from servesize.sdk._environment import Environment
from servesize.sdk._workspace import Workspace
from servesize.workspace import Store, format_id, read_conda_specification, validate_name

__all__ = ["InferenceConfig"]

#: Keys of an inline environment beyond a reference's ``name``/``version``.
_INLINE_KEYS = {"python", "environmentVariables", "environment_variables", "pip", "docker"}


class InferenceConfig:
    """What to serve: ``entry_script`` (relative to ``source_directory`` when given) and
    an optional :class:`Environment` (or an environment id such as ``"sklearn:2"``).

    Azure's older arguments (``runtime``, ``conda_file``, ``extra_docker_file_steps``,
    ...) are accepted; ``conda_file`` becomes the environment, the others do nothing
    locally.
    """

    def __init__(
        self,
        entry_script: str | Path,
        source_directory: str | Path | None = None,
        environment: Environment | str | None = None,
        *,
        runtime: str | None = None,
        conda_file: str | Path | None = None,
        description: str | None = None,
        **_azure_only: Any,
    ) -> None:
        if not str(entry_script).strip():
            raise InvalidInputError("the inference config needs an entry script")
        self.entry_script = str(entry_script)
        self.source_directory = None if source_directory is None else str(source_directory)
        self.runtime = runtime
        self.description = description
        if environment is None and conda_file is not None:
            base = Path(self.source_directory or ".")
            environment = Environment.from_conda_specification("conda-file", base / conda_file)
        if environment is not None and not isinstance(environment, Environment | str):
            raise InvalidInputError(
                f"environment must be an Environment or an id, got {type(environment).__name__}"
            )
        self.environment = environment

    @property
    def entry_script_path(self) -> Path:
        """The entry script's absolute path (inside the source directory when given)."""
        base = Path(self.source_directory) if self.source_directory else Path()
        return (base / self.entry_script).resolve()

    @classmethod
    def from_file(
        cls, path: str | Path, workspace: Workspace | Store | None = None
    ) -> InferenceConfig:
        """Read the CLI's inference-config JSON.

        Paths are relative to the JSON file's folder and come back absolute.  An
        environment given by ``{"name": ..., "version": ...}`` is loaded from
        ``workspace`` when one is passed, else kept as its id (``"name:version"``).
        """
        file = Path(path)
        data = _load(file)
        entry = data.get("entryScript", data.get("entry_script"))
        if not isinstance(entry, str) or not entry.strip():
            raise InvalidInputError(f"{file}: 'entryScript' is missing or not a string")
        folder = file.resolve().parent
        source = data.get("sourceDirectory", data.get("source_directory"))
        if source is not None and not isinstance(source, str):
            raise InvalidInputError(f"{file}: 'sourceDirectory' must be a string")
        source_dir = (folder / source).resolve() if source else None
        if source_dir is not None and not source_dir.is_dir():
            raise NotFoundError(f"{file}: source directory {source_dir} not found")
        entry_path = ((source_dir or folder) / entry).resolve()
        if not entry_path.is_file():
            raise NotFoundError(f"{file}: entry script {entry_path} not found")
        environment = _environment(data.get("environment"), file, folder, workspace)
        conda_file = data.get("condaFile")
        if environment is None and conda_file:
            if not isinstance(conda_file, str):
                raise InvalidInputError(f"{file}: 'condaFile' must be a string")
            environment = Environment.from_conda_specification("conda-file", folder / conda_file)
        return cls(
            str(entry_path),
            None if source_dir is None else str(source_dir),
            environment,
            runtime=data.get("runtime") if isinstance(data.get("runtime"), str) else None,
            description=data.get("description")
            if isinstance(data.get("description"), str)
            else None,
        )

    def serialize(self) -> dict[str, Any]:
        """The JSON form :meth:`from_file` reads."""
        data: dict[str, Any] = {"entryScript": self.entry_script}
        if self.source_directory is not None:
            data["sourceDirectory"] = self.source_directory
        if isinstance(self.environment, Environment):
            data["environment"] = self.environment.serialize()
        elif isinstance(self.environment, str):
            name, _, version = self.environment.partition(":")
            data["environment"] = {"name": name, **({"version": version} if version else {})}
        return data

    def __repr__(self) -> str:
        return (
            f"InferenceConfig(entry_script={self.entry_script!r}, "
            f"source_directory={self.source_directory!r}, environment={self.environment!r})"
        )


def _load(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such inference config: {file}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{file}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read inference config {file}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{file}: expected a JSON object with 'entryScript'")
    return data


def _environment(
    value: object, file: Path, folder: Path, workspace: Workspace | Store | None
) -> Environment | str | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{file}: 'environment' must be a JSON object")
    name = value.get("name", "inline")
    if not isinstance(name, str):
        raise InvalidInputError(f"{file}: the environment's 'name' must be a string")
    validate_name(name, "environment name")
    if not _INLINE_KEYS & value.keys():
        version = value.get("version")
        if version is not None and not str(version).isdigit():
            raise InvalidInputError(f"{file}: environment version {version!r} is not a number")
        if workspace is None:
            return name if version is None else format_id(name, int(str(version)))
        return Environment.get(workspace, name, None if version is None else int(str(version)))
    env = Environment(name)
    variables = value.get("environmentVariables", value.get("environment_variables")) or {}
    if not isinstance(variables, Mapping):
        raise InvalidInputError(f"{file}: 'environmentVariables' must be a JSON object")
    env.environment_variables = {str(k): str(v) for k, v in variables.items()}
    python = value.get("python") or {}
    if not isinstance(python, Mapping):
        raise InvalidInputError(f"{file}: the environment's 'python' must be a JSON object")
    conda = python.get("condaDependencies", python.get("conda_dependencies"))
    conda_file = python.get("condaDependenciesFile", python.get("conda_dependencies_file"))
    pip = python.get("pip", value.get("pip"))
    if conda is not None:
        if not isinstance(conda, dict):
            raise InvalidInputError(f"{file}: 'condaDependencies' must be a JSON object")
        env.set_conda_dependencies(conda)
    elif isinstance(conda_file, str):
        env.set_conda_dependencies(read_conda_specification(folder / conda_file)[0])
    managed = python.get("userManagedDependencies", python.get("user_managed_dependencies"))
    env.python.user_managed_dependencies = bool(managed)
    if pip is not None:
        if not isinstance(pip, list) or not all(isinstance(p, str) for p in pip):
            raise InvalidInputError(f"{file}: 'pip' must be a list of requirement strings")
        env.pip_requirements = [*env.pip_requirements, *pip]
    return env
