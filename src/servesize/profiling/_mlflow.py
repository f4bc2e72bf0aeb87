"""Serve an MLflow model the way ``mlflow models serve --env-manager local`` does.

That command runs ``uvicorn --host H --port P --workers N
mlflow.pyfunc.scoring_server.app:app`` with ``__pyfunc_model_path__`` naming the model:
``POST /invocations`` (``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs``, CSV), ``GET /ping``.  servesize starts exactly that server (so the profile
sizes what production runs) as a server command under the profile's limits.

The model's own environment (its ``requirements.txt``) is not built yet: the server
runs with servesize's interpreter, the requirements it lacks are reported, and the
details say so (``environmentNote``).
"""

from __future__ import annotations

import importlib.util

from servesize.errors import InvalidInputError
from servesize.profiling.servers import Endpoint, ServerCommand
from servesize.profiling.settings import ProfileSettings
from servesize.workspace import ModelRecord, Store

__all__ = ["ENVIRONMENT_NOTE", "is_mlflow", "mlflow_server", "mlflow_service", "model_requirements"]

ENVIRONMENT_NOTE = (
    "the MLflow model was served with servesize's own Python interpreter; its "
    "requirements.txt was checked against it (see missingRequirements), not installed"
)


def is_mlflow(record: ModelRecord) -> bool:
    return bool(record.properties.get("mlflowFlavors"))


def mlflow_server(record: ModelRecord, workers: int, timeout_seconds: float) -> ServerCommand:
    """The server command for a registered MLflow model (a ``python_function`` flavor)."""
    flavors = record.properties.get("mlflowFlavors", "").split(",")
    if "python_function" not in flavors:
        raise InvalidInputError(
            f"MLflow model {record.id} has no python_function flavor "
            f"(flavors: {', '.join(flavors)}): it cannot be served without an entry script"
        )
    if importlib.util.find_spec("mlflow") is None:
        raise InvalidInputError(
            f"serving the MLflow model {record.id} needs MLflow: pip install 'servesize[mlflow]'"
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
    store: Store, model_ids: tuple[str, ...], settings: ProfileSettings
) -> tuple[ServerCommand, list[str], str]:
    """No inference config: the one model must be an MLflow model, served as a pyfunc.

    Returns the server command, the model's requirements and the environment note.
    """
    records = [store.models.get(i) for i in model_ids]
    if len(records) != 1 or not is_mlflow(records[0]):
        raise InvalidInputError(
            "no inference config: give an entry script (--ic / --entry-script) or a "
            "--server-cmd, or profile one MLflow model (a folder with an MLmodel file)"
        )
    # a fixed command: the sizing search varies cores, not this worker count
    server = mlflow_server(records[0], settings.workers or 1, settings.request_timeout)
    return server, model_requirements(store, records[0]), ENVIRONMENT_NOTE
