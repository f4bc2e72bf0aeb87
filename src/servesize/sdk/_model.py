"""``Model``: Azure ML SDK v1's model registry API over the local workspace."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError, NotFoundError
from servesize.sdk._profile import profile
from servesize.sdk._workspace import Workspace, store_of
from servesize.workspace import ModelRecord, Store, format_id, validate_name

__all__ = ["Model"]

WorkspaceLike = Workspace | Store | str | Path


class Model:
    """One registered model version.

    >>> model = Model.register(ws, model_path="model.joblib", model_name="diabetes")
    >>> model.id
    'diabetes:1'
    >>> Model(ws, name="diabetes").version  # the latest
    1
    """

    def __init__(
        self,
        workspace: WorkspaceLike,
        name: str | None = None,
        id: str | None = None,  # Azure's parameter name
        version: int | None = None,
    ) -> None:
        if id is not None:
            ident = id
        elif name is not None:
            ident = name if version is None else format_id(name, int(version))
        else:
            raise InvalidInputError("Model needs a name or an id")
        self._set(workspace, store_of(workspace).models.get(ident))

    @classmethod
    def _from_record(cls, workspace: WorkspaceLike, record: ModelRecord) -> Model:
        model = cls.__new__(cls)
        model._set(workspace, record)
        return model

    def _set(self, workspace: WorkspaceLike, record: ModelRecord) -> None:
        self.workspace = workspace
        self._store = store_of(workspace)
        self._record = record

    # -- attributes as Azure names them ------------------------------------------------

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def version(self) -> int:
        return self._record.version

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._record.tags)

    @property
    def properties(self) -> dict[str, str]:
        return dict(self._record.properties)

    @property
    def description(self) -> str | None:
        return self._record.description

    @property
    def created_time(self) -> datetime:
        return self._record.created_time

    @property
    def record(self) -> ModelRecord:
        return self._record

    # -- registry operations -----------------------------------------------------------

    @staticmethod
    def register(
        workspace: WorkspaceLike,
        model_path: str | Path,
        model_name: str,
        tags: Mapping[str, object] | None = None,
        properties: Mapping[str, object] | None = None,
        description: str | None = None,
        **_azure_only: Any,
    ) -> Model:
        """Register a file or folder as the next version of ``model_name``.

        Azure-only arguments (``model_framework``, ``datasets``, ...) are accepted and
        ignored so registration code ports unchanged.
        """
        record = store_of(workspace).models.register(
            model_name, Path(model_path), description, tags, properties
        )
        return Model._from_record(workspace, record)

    @staticmethod
    def list(
        workspace: WorkspaceLike,
        name: str | None = None,
        tags: Sequence[str | Sequence[str]] | None = None,
        properties: Sequence[str | Sequence[str]] | None = None,
        latest: bool = False,
    ) -> list[Model]:
        """Registered versions, filtered like Azure's (``tags=['key', ['key', 'value']]``)."""
        records = store_of(workspace).models.list(name)
        records = [
            r for r in records if _matches(r.tags, tags) and _matches(r.properties, properties)
        ]
        if latest:
            records = list({r.name: r for r in records}.values())
        return [Model._from_record(workspace, r) for r in records]

    def add_tags(self, tags: Mapping[str, object]) -> None:
        self._record = self._store.models.update(self.id, add_tags=tags)

    def add_properties(self, properties: Mapping[str, object]) -> None:
        self._record = self._store.models.update(self.id, add_properties=properties)

    def remove_tags(self, tags: Iterable[str]) -> None:
        if isinstance(tags, str):
            tags = [tags]
        self._record = self._store.models.update(self.id, remove_tags=list(tags))

    def download(self, target_dir: str | Path = ".", exist_ok: bool = False) -> str:
        """Copy the model out; returns the path of the downloaded file or folder."""
        return str(self._store.models.download(self.id, Path(target_dir), exist_ok=exist_ok))

    def delete(self) -> None:
        self._store.models.delete(self.id)

    def serialize(self) -> dict[str, Any]:
        return self._record.to_dict()

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Any = None) -> str:
        """The path of a model inside a running entry script (reads ``AZUREML_MODEL_DIR``).

        With several models the layout is ``$AZUREML_MODEL_DIR/<name>/<version>/``; with
        one, ``$AZUREML_MODEL_DIR`` holds the registered file or folder.
        """
        validate_name(model_name, "model name")
        root = os.environ.get("AZUREML_MODEL_DIR")
        if not root:
            raise NotFoundError(
                "AZUREML_MODEL_DIR is not set: get_model_path works inside a running entry script"
            )
        folder = _version_folder(Path(root), model_name, version)
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
        if not entries:
            raise NotFoundError(f"model {model_name} not found in {root}")
        return str(entries[0] if len(entries) == 1 else folder)

    #: ``Model.profile(ws, name, models, inference_config, input_dataset, cpu=None,
    #: memory_in_gb=None, description=None, **settings)``: Azure's signature, the same
    #: function as :func:`servesize.sdk.profile` (see there).
    profile = staticmethod(profile)

    def __repr__(self) -> str:
        return f"Model(workspace={self.workspace!r}, name={self.name!r}, version={self.version})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and other._record == self._record

    __hash__ = None  # type: ignore[assignment]


def _matches(values: Mapping[str, str], wanted: Sequence[str | Sequence[str]] | None) -> bool:
    for item in wanted or ():
        if isinstance(item, str):
            if item not in values:
                return False
        elif len(item) != 2 or values.get(item[0]) != item[1]:
            return False
    return True


def _version_folder(root: Path, name: str, version: int | None) -> Path:
    """``root/<name>/<version>`` in the several-models layout, else ``root`` itself."""
    by_name = root / name
    versions = (
        sorted(
            (int(p.name) for p in by_name.iterdir() if p.is_dir() and p.name.isdigit()),
        )
        if by_name.is_dir()
        else []
    )
    if not versions:
        return root
    if version is None:
        return by_name / str(versions[-1])
    if int(version) not in versions:
        raise NotFoundError(f"model {format_id(name, int(version))} not found in {root}")
    return by_name / str(int(version))
