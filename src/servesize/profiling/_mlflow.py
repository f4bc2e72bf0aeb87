"""Serve an MLflow model the way ``mlflow models serve`` does, in the model's environment.

That command runs ``uvicorn --host H --port P --workers N
mlflow.pyfunc.scoring_server.app:app`` with ``__pyfunc_model_path__`` naming the model:
``POST /invocations`` (``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs``, CSV), ``GET /ping``.  servesize starts exactly that server (so the profile
sizes what production runs) as a server command under the profile's limits.

Where it runs is MLflow's ``--env-manager`` (setting ``env_manager``):

- ``virtualenv`` (the default, as MLflow's) or ``uv``: an environment built with uv
  from the model's ``requirements.txt`` and ``python_env.yaml``/``conda.yaml``
  (``_mlflow_env``), cached in the workspace like any other environment; the
  ``environment`` figure says what was built, ``environmentNote`` where it came from;
- ``local``: servesize's own interpreter (MLflow must be installed beside servesize);
  the model's requirements are only checked against it (``missingRequirements``);
- an environment the user gives (``--environment``) wins over the model's files.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import NamedTuple

from servesize.environments import BuiltEnvironment
from servesize.errors import InvalidInputError
from servesize.profiling._mlflow_env import read_model_environment
from servesize.profiling.request import EnvironmentSpec
from servesize.profiling.servers import Endpoint, ServerCommand
from servesize.profiling.settings import ProfileSettings
from servesize.workspace import ModelRecord, Store

__all__ = [
    "ENVIRONMENT_NOTE",
    "MlflowService",
    "completed_note",
    "is_mlflow",
    "mlflow_server",
    "mlflow_service",
    "model_requirements",
]

ENVIRONMENT_NOTE = (
    "env-manager local: the MLflow model was served with servesize's own Python "
    "interpreter; its requirements.txt was checked against it (see "
    "missingRequirements), not installed"
)


class MlflowService(NamedTuple):
    server: ServerCommand
    #: requirements to check against servesize's interpreter (``local`` only)
    requirements: list[str]
    note: str
    #: what to build (None: servesize's own interpreter)
    environment: EnvironmentSpec | None


def is_mlflow(record: ModelRecord) -> bool:
    return bool(record.properties.get("mlflowFlavors"))


def mlflow_server(
    record: ModelRecord, workers: int, timeout_seconds: float, local: bool = True
) -> ServerCommand:
    """The server command for a registered MLflow model (a ``python_function`` flavor);
    ``local``: it runs with servesize's interpreter, which must have MLflow."""
    flavors = record.properties.get("mlflowFlavors", "").split(",")
    if "python_function" not in flavors:
        raise InvalidInputError(
            f"MLflow model {record.id} has no python_function flavor "
            f"(flavors: {', '.join(flavors)}): it cannot be served without an entry script"
        )
    if local and importlib.util.find_spec("mlflow") is None:
        raise InvalidInputError(
            f"serving the MLflow model {record.id} with --env-manager local needs MLflow "
            "beside servesize: pip install 'servesize[mlflow]'"
        )
    argv = (
        "{python}", "-m", "uvicorn",
        "--host", "127.0.0.1", "--port", "{port}", "--workers", str(workers),
        "mlflow.pyfunc.scoring_server.app:app",
    )  # fmt: skip
    return ServerCommand(
        argv,
        Endpoint(score_path="/invocations", health_path="/ping"),
        kind="mlflow",
        environment_variables={
            # {model_dir} is the run's copy of the model: the folder as registered inside
            "__pyfunc_model_path__": "{model_dir}/" + record.path_name,
            "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT": str(max(1, round(timeout_seconds))),
        },
    )


def model_requirements(store: Store, record: ModelRecord) -> list[str]:
    """The lines of the model's ``requirements.txt`` (MLflow writes one beside MLmodel)."""
    data = store.models.read_file(record.id, "requirements.txt")
    if data is None:
        return []
    return data.decode("utf-8", "replace").splitlines()


def mlflow_service(
    store: Store,
    model_ids: tuple[str, ...],
    settings: ProfileSettings,
    environment: EnvironmentSpec | None = None,
) -> MlflowService:
    """No inference config: the one model must be an MLflow model, served as a pyfunc
    in ``environment`` when the user gives one, else as ``settings.env_manager`` says."""
    records = [store.models.get(i) for i in model_ids]
    if len(records) != 1 or not is_mlflow(records[0]):
        raise InvalidInputError(
            "no inference config: give an entry script (--ic / --entry-script) or a "
            "--server-cmd, or profile one MLflow model (a folder with an MLmodel file)"
        )
    record = records[0]
    local = environment is None and settings.env_manager == "local"
    if environment is not None and environment.user_managed:
        local = True  # the user's environment is servesize's own interpreter
    # a fixed command: the sizing search varies cores, not this worker count
    server = mlflow_server(record, settings.workers or 1, settings.request_timeout, local)
    if environment is not None:
        # the server is MLflow's, not servesize's host: its packages are not added
        environment = dataclasses.replace(environment, scoring_host=False)
        note = (
            f"the MLflow model was served in the environment {_label(environment)} given "
            "by the user, not one built from its own requirements.txt"
        )
        return MlflowService(server, [], note, environment)
    if local:
        return MlflowService(server, model_requirements(store, record), ENVIRONMENT_NOTE, None)
    built = read_model_environment(
        lambda name: store.models.read_file(record.id, name),
        record.id,
        record.properties.get("mlflowVersion"),
    )
    note = (
        f"env-manager {settings.env_manager}: the MLflow model was served in an "
        f"environment built with uv from {built.source}"
    )
    return MlflowService(server, [], note, built.spec)


def completed_note(note: str | None, environment: BuiltEnvironment) -> str | None:
    """The note, saying whether the environment was built now or found in the cache."""
    if note is None or environment.path is None:
        return note
    if environment.cached:
        return f"{note}; reused from the workspace's cache ({environment.key})"
    return f"{note}; built by this profile in {environment.build_seconds:.1f} s"


def _label(environment: EnvironmentSpec) -> str:
    if environment.name is None:
        return "(inline)"
    version = f":{environment.version}" if environment.version is not None else ""
    return f"{environment.name}{version}"
