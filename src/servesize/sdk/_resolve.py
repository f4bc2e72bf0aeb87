"""Turn what users pass to ``Model.profile`` (SDK objects, ids, paths) into plain values.

Everything is checked here, before anything starts: unknown models or dataset, an
empty dataset, a missing or malformed entry script, limits the machine cannot give.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from servesize.environments import BuildSpec, normalise
from servesize.errors import InvalidInputError
from servesize.profiling import (
    AttachedUrl,
    EnvironmentSpec,
    ProfileRequest,
    ProfileSettings,
    ServerCommand,
    check_entry_script,
    check_limits,
    check_server,
    missing_requirements,
    mlflow_service,
)
from servesize.sdk._inference_config import InferenceConfig
from servesize.workspace import Store, validate_name

__all__ = ["environment_spec", "profile_request", "server_spec"]


def _ident(obj: Any, what: str) -> str:
    if isinstance(obj, str):
        return obj
    ident = getattr(obj, "id", None)
    if isinstance(ident, str):
        return ident
    raise InvalidInputError(f"expected a {what} or its id, got {type(obj).__name__}")


def environment_spec(store: Store, env: Any) -> EnvironmentSpec | None:
    """An SDK ``Environment``, a stored one by id, or a dict of the inline JSON form."""
    if env is None:
        return None
    if isinstance(env, str):
        env = store.environments.get(env)
    variables = getattr(env, "environment_variables", None) or {}
    pip = getattr(env, "pip_requirements", None)
    if pip is None:
        pip = getattr(env, "requirements", None) or []
    managed = getattr(env, "user_managed", None)
    if managed is None:
        managed = getattr(getattr(env, "python", None), "user_managed_dependencies", False)
    # checked now (conda-only packages are refused with a one-line error)
    build = BuildSpec.from_parts(
        getattr(env, "name", None),
        getattr(env, "version", None),
        [str(p) for p in pip],
        getattr(env, "conda_dependencies", None),
        bool(managed),
    )
    normalise(build.requirements)  # a line that is not a requirement fails here
    return EnvironmentSpec(
        name=getattr(env, "name", None),
        version=getattr(env, "version", None),
        pip_requirements=build.requirements,
        environment_variables={str(k): str(v) for k, v in dict(variables).items()},
        python=build.python,
        user_managed=build.user_managed,
    )


def _inference_config(store: Store, config: Any) -> tuple[Path, Path | None, Any]:
    if isinstance(config, str | Path):
        config = InferenceConfig.from_file(Path(config), store)
    entry = getattr(config, "entry_script", None)
    if entry is None:
        raise InvalidInputError("the inference config has no entry script")
    source = getattr(config, "source_directory", None)
    source_dir = Path(source).resolve() if source else None
    entry_path = Path(entry)
    if not entry_path.is_absolute() and source_dir is not None:
        # Azure resolves the entry script inside the source directory
        inside = source_dir / entry_path
        entry_path = inside if inside.exists() or not entry_path.exists() else entry_path
    return entry_path.resolve(), source_dir, getattr(config, "environment", None)


def server_spec(config: Any) -> ServerCommand | AttachedUrl | None:
    """The server of a ``ServerConfig`` (or a spec itself); None for an entry script."""
    if isinstance(config, ServerCommand | AttachedUrl):
        return config
    spec = getattr(config, "spec", None)
    return spec if isinstance(spec, ServerCommand | AttachedUrl) else None


def profile_request(
    store: Store,
    *,
    name: str,
    models: Iterable[Any] | None,
    inference_config: Any,
    dataset: Any,
    cpu: float | None,
    memory_gb: float | None,
    description: str | None,
    settings: ProfileSettings,
    environment: Any = None,
) -> ProfileRequest:
    """Check everything and resolve it to plain values; raises before anything starts.

    ``environment``: for an MLflow model without an inference config, the environment
    to serve it in instead of one built from the model's own files."""
    validate_name(name, "profile name")
    check_limits(cpu, memory_gb)
    if models is None:
        models = []
    if isinstance(models, str) or not isinstance(models, Iterable):
        models = [models]
    model_ids = tuple(store.models.get(_ident(m, "Model")).id for m in models)
    server = server_spec(inference_config)
    if not model_ids and server is None:
        raise InvalidInputError("at least one model is needed")
    dataset_id = store.datasets.get(_ident(dataset, "Dataset")).id
    if not store.datasets.rows(dataset_id):
        raise InvalidInputError(f"dataset {dataset_id} has no rows")
    entry: Path | None = None
    source: Path | None = None
    requirements: list[str] = []
    note = None
    if environment is not None and inference_config is not None:
        raise InvalidInputError(
            "environment= goes with an MLflow model without an inference config; "
            "otherwise give the environment in the inference config"
        )
    spec = environment_spec(store, environment)
    if server is None and inference_config is None:
        # no config: one MLflow model, served as `mlflow models serve` does
        server, requirements, note, spec = mlflow_service(store, model_ids, settings, spec)
    if server is None:
        entry, source, env = _inference_config(store, inference_config)
        check_entry_script(entry)
        if source is not None and not source.is_dir():
            raise InvalidInputError(f"source directory not found: {source}")
        spec = environment_spec(store, env)
    else:
        if inference_config is not None:
            spec = environment_spec(store, getattr(inference_config, "environment", None))
        if isinstance(server, ServerCommand) and server.cwd is None:
            # fixed now: the profile runs later, in a thread, maybe after a chdir
            server = dataclasses.replace(server, cwd=Path.cwd())
        check_server(server)
    # a built environment installs its requirements; servesize's own may lack them
    if spec is None or spec.user_managed:
        requirements += spec.pip_requirements if spec else []
    missing = missing_requirements(requirements)
    return ProfileRequest(
        name=name,
        model_ids=model_ids,
        entry_script=entry,
        dataset_id=dataset_id,
        source_directory=source,
        environment=spec,
        cpu=float(cpu) if cpu is not None else None,
        memory_gb=float(memory_gb) if memory_gb is not None else None,
        description=description,
        settings=settings,
        missing_requirements=tuple(missing),
        server=server,
        environment_note=note,
    )
