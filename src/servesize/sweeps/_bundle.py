"""A trial's inputs as bytes, so a worker node needs no shared file system.

The driver packs the models (files and registry facts, same name and version), the
dataset's rows, the source directory with the entry script, and the environment's
specification; Ray carries the bundle through its object store; the node unpacks it
into a temporary workspace and profiles there.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError
from servesize.sdk import Environment, InferenceConfig
from servesize.sweeps._spec import Trial
from servesize.sweeps._trial import TrialInputs
from servesize.workspace import Store

__all__ = ["Bundle", "local_inputs", "pack", "unpack"]

#: Never shipped with a source directory: caches, virtual environments, workspaces.
_SKIP = {".git", ".servesize", "__pycache__", ".venv", ".mypy_cache", ".pytest_cache"}


@dataclass(frozen=True)
class PackedModel:
    name: str
    version: int
    description: str | None
    tags: dict[str, str]
    properties: dict[str, str]
    path_name: str
    archive: bytes


@dataclass(frozen=True)
class Bundle:
    trial: Trial
    models: tuple[PackedModel, ...]
    dataset_name: str
    dataset_version: int
    dataset_format: str
    rows: tuple[str, ...]
    source: bytes  #: the source directory, a tar archive
    entry: str  #: the entry script below the source directory
    environment: dict[str, Any] | None
    #: where the entry script and source directory are on the driver (for the record)
    driver_paths: dict[str, str]


def _config(trial: Trial) -> InferenceConfig:
    if trial.inference_config is not None:
        config = InferenceConfig.from_file(trial.inference_config)
        if trial.environment is not None:  # the trial's environment replaces the file's
            config.environment = trial.environment
        return config
    return InferenceConfig(
        str(trial.entry_script),
        None if trial.source_directory is None else str(trial.source_directory),
        trial.environment,
    )


def local_inputs(trial: Trial) -> TrialInputs:
    """Inputs for a trial run in the driver's own workspace."""
    as_file = trial.inference_config is not None and trial.environment is None
    config: Any = str(trial.inference_config) if as_file else _config(trial)
    return TrialInputs(trial.models, trial.dataset, config)


def pack(store: Store, trial: Trial) -> Bundle:
    """Everything ``trial`` needs, read from the driver's workspace and disk."""
    config = _config(trial)
    entry = config.entry_script_path
    source = Path(config.source_directory).resolve() if config.source_directory else entry.parent
    if not entry.is_relative_to(source):
        raise InvalidInputError(f"entry script {entry} is outside its source directory {source}")
    dataset = store.datasets.get(trial.dataset)
    return Bundle(
        trial=trial,
        models=tuple(_pack_model(store, ident) for ident in trial.models),
        dataset_name=dataset.name,
        dataset_version=dataset.version,
        dataset_format=dataset.format,
        rows=tuple(store.datasets.rows(dataset.id)),
        source=_tar(source),
        entry=entry.relative_to(source).as_posix(),
        environment=_environment(store, config.environment),
        driver_paths={"entryScript": str(entry), "sourceDirectory": str(source)},
    )


def _pack_model(store: Store, ident: str) -> PackedModel:
    record = store.models.get(ident)
    with tempfile.TemporaryDirectory(prefix="servesize-pack-") as tmp:
        path = store.models.download(record.id, tmp)
        archive = _tar(path, arcname=path.name) if path.is_dir() else _tar_file(path)
    return PackedModel(
        name=record.name,
        version=record.version,
        description=record.description,
        tags=dict(record.tags),
        properties=dict(record.properties),
        path_name=record.path_name,
        archive=archive,
    )


def _environment(store: Store, env: Any) -> dict[str, Any] | None:
    if env is None:
        return None
    if isinstance(env, str):
        name, _, version = env.partition(":")
        env = Environment.get(store, name, version or None)
    return {
        "name": env.name,
        "version": env.version,
        "environment_variables": dict(env.environment_variables),
        "pip_requirements": list(env.pip_requirements),
        # what the node's environment build needs besides the pip lines
        "conda_dependencies": env.conda_dependencies,
        "user_managed": bool(env.python.user_managed_dependencies),
    }


def _tar(folder: Path, arcname: str = ".") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=arcname, filter=_skip)
    return buffer.getvalue()


def _tar_file(file: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(file, arcname=file.name)
    return buffer.getvalue()


def _skip(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    parts = Path(info.name).parts
    if any(part in _SKIP or part.startswith(".venv") for part in parts):
        return None
    if info.issym() or info.islnk():
        # a link out of the folder would point at nothing on the node: leave it out
        target = Path(info.linkname)
        if target.is_absolute() or ".." in target.parts:
            return None
    return info if info.isfile() or info.isdir() or info.issym() or info.islnk() else None


def _untar(data: bytes, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(target, filter="data")  # refuses absolute paths, links out, devices


def unpack(bundle: Bundle, root: Path) -> tuple[Store, TrialInputs]:
    """Register the bundle's models and dataset in a new workspace under ``root``."""
    store = Store.open(root / "workspace")
    for index, model in enumerate(bundle.models):
        folder = root / "models-in" / str(index)
        _untar(model.archive, folder)
        store.models.register(
            model.name,
            folder / model.path_name,
            description=model.description,
            tags=model.tags,
            properties=model.properties,
            version=model.version,
        )
    store.datasets.register(
        bundle.dataset_name,
        list(bundle.rows),
        format=bundle.dataset_format,  # type: ignore[arg-type]
        version=bundle.dataset_version,
    )
    source = root / "source"
    _untar(bundle.source, source)
    environment = None
    if bundle.environment is not None:
        environment = Environment(bundle.environment["name"])
        environment.version = bundle.environment["version"]
        environment.environment_variables = dict(bundle.environment["environment_variables"])
        if bundle.environment.get("conda_dependencies") is not None:
            environment.set_conda_dependencies(bundle.environment["conda_dependencies"])
        environment.pip_requirements = list(bundle.environment["pip_requirements"])
        managed = bool(bundle.environment.get("user_managed"))
        environment.python.user_managed_dependencies = managed
    config = InferenceConfig(str(source / bundle.entry), str(source), environment)
    models = tuple(f"{m.name}:{m.version}" for m in bundle.models)
    dataset = f"{bundle.dataset_name}:{bundle.dataset_version}"
    return store, TrialInputs(models, dataset, config)
