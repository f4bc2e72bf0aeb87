"""Stand-ins for the Azure ML SDK v1 names that entry scripts use at run time.

``Model.get_model_path``, ``Run.get_context()`` (an offline run that prints what it
is asked to log, as Azure's does outside a job), ``Workspace`` (importable only) and
the SDK's exception names.  :mod:`servesize.serving._shims` serves them under
``azureml.core`` and ``azureml.exceptions`` when no real Azure package provides those
modules; written from the documented behaviour, no Azure code.  ``docs/serving.md``
lists what is covered; the data collectors are in ``_azure_monitoring``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "AzureMLException",
    "Model",
    "ModelNotFoundException",
    "Run",
    "RunEnvironmentException",
    "UserErrorException",
    "WebserviceException",
    "Workspace",
]

#: Where Azure's SDK looks for deployed models: ``$AML_APP_ROOT/azureml-models``.
_MODELS_FOLDER = "azureml-models"


class AzureMLException(Exception):
    """The root of the SDK's exceptions (``azureml.exceptions.AzureMLException``)."""

    def __init__(self, exception_message: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(exception_message)
        self.message = exception_message


class UserErrorException(AzureMLException):
    pass


class WebserviceException(AzureMLException):
    pass


class ModelNotFoundException(AzureMLException):
    pass


class RunEnvironmentException(AzureMLException):
    pass


def _model_roots(name: str) -> list[Path]:
    """Folders laid out as ``<name>/<version>/<one file or folder>``, in probing order.

    Azure's own root first; then the folder ``AZUREML_MODEL_DIR`` names, which is that
    root when several models are deployed and ``<root>/<name>/<version>`` when one is
    (servesize lays models out the same way, wherever its run folder is).
    """
    roots = [Path(os.environ.get("AML_APP_ROOT", ""), _MODELS_FOLDER)]
    model_dir = os.environ.get("AZUREML_MODEL_DIR")
    if model_dir:
        here = Path(model_dir)
        roots.append(here)
        if here.parent.name == name:
            roots.append(here.parent.parent)
    return roots


class Model:
    """``azureml.core.model.Model``: only what a scoring script can use."""

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Any = None) -> str:
        """The path of a deployed model's file or folder.

        ``<root>/<name>/<version>/<entry>`` with the highest version unless one is given
        (the version folder must hold exactly one entry), else ``./<name>`` if it exists;
        ``ModelNotFoundException`` otherwise (``WebserviceException`` when a version was
        given), as Azure's SDK does in a service.
        """
        if version is not None and not isinstance(version, int):
            raise WebserviceException("version should be an int")
        if model_name is None:
            raise WebserviceException("model_name is None")
        for root in _model_roots(model_name):
            versions = root / model_name
            if not versions.is_dir():
                continue
            numbers = [int(v.name) for v in versions.iterdir() if v.name.isdigit()]
            if version is None and not numbers:
                raise WebserviceException("versions is empty")
            chosen = version if version is not None else max(numbers, default=None)
            folder = versions / str(chosen)
            if chosen is None or not folder.is_dir():
                break  # Azure probes no further root, only the working directory
            entries = sorted(os.listdir(folder))
            if len(entries) != 1:
                raise WebserviceException(
                    f"Dir {folder} can contain only 1 file or folder. Found {entries}"
                )
            return str(folder / entries[0])
        if os.path.exists(model_name):
            return model_name
        message = (
            f"Model {model_name} not found in cache at {_model_roots(model_name)[0]} "
            f"or in current working directory {os.getcwd()}."
        )
        if version is not None:
            raise WebserviceException(message)
        raise ModelNotFoundException(message)


class _OfflineRun:
    """The run a scoring script gets: it prints what it is asked to record (to the log)."""

    def __init__(self, run_id: str | None = None) -> None:
        self.id = run_id or f"OfflineRun_{uuid.uuid4()}"

    def _record(self, kind: str, name: str, value: Any) -> None:
        print(f"Attempted to log {kind} metric {name}:\n{value}")

    def log(self, name: str, value: Any, description: str = "") -> None:
        self._record("scalar", name, value)

    def log_list(self, name: str, value: Any, description: str = "") -> None:
        self._record("list", name, value)

    def log_table(self, name: str, value: Any, description: str = "") -> None:
        self._record("table", name, value)

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        self._record("row", name, kwargs)

    def log_image(
        self, name: str, path: str | None = None, plot: Any = None, description: str = ""
    ) -> None:
        self._record("image", name, plot or path)

    def tag(self, name: str, value: Any = None) -> None:
        print(f"Attempted to add tag {name} with value {value}")

    def set_tags(self, tags: Any) -> None:
        print(f"Attempted to set tags {tags}")

    def add_properties(self, properties: Any) -> None:
        print(f"Attempted to add properties {properties}")

    def upload_file(
        self, name: str, path_or_stream: Any, datastore_name: str | None = None
    ) -> None:
        print(f"Attempted to track file {name} at {path_or_stream}")

    def complete(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def fail(self, error_details: Any = None, error_code: Any = None) -> None:
        print(f"Run failed with error code {error_code}:\n{error_details}")

    def flush(self) -> None:
        print(f"Attempted to flush run with id {self.id}")

    def child_run(
        self, name: str | None = None, run_id: str | None = None, **_: Any
    ) -> _OfflineRun:
        return _OfflineRun(run_id or f"{self.id}.{name or uuid.uuid4()}")

    def __enter__(self) -> _OfflineRun:
        print(f"[START] Run {self.id} context")
        return self

    def __exit__(self, *exc: object) -> None:
        print(f"[STOP] Run {self.id} context")


class Run:
    """``azureml.core.run.Run``: a scoring service is never inside a job."""

    @classmethod
    def get_context(cls, allow_offline: bool = True, **kwargs: Any) -> _OfflineRun:
        if not allow_offline:
            raise RunEnvironmentException("no run context: this is a scoring service, not a job")
        return _OfflineRun()


class Workspace:
    """``azureml.core.Workspace``: importable; a service has no workspace to connect to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise UserErrorException(
            "Workspace is not available inside a scoring service "
            "(servesize serves the entry script without Azure)"
        )

    @classmethod
    def from_config(cls, *args: Any, **kwargs: Any) -> Workspace:
        return cls()

    @classmethod
    def get(cls, *args: Any, **kwargs: Any) -> Workspace:
        return cls()
