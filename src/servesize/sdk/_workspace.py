"""``Workspace``: where the registries live (Azure ML's workspace, as a local folder)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from servesize.errors import InvalidInputError
from servesize.workspace import Store, default_workspace_path

if TYPE_CHECKING:
    from servesize.sdk._dataset import TabularDataset
    from servesize.sdk._environment import Environment
    from servesize.sdk._model import Model

__all__ = ["Workspace", "store_of"]


class Workspace:
    """A local workspace folder; created on the first write.

    ``Workspace()`` uses ``$SERVESIZE_WORKSPACE`` or ``./.servesize``::

        ws = Workspace("my-workspace")
        model = Model.register(ws, model_path="model.joblib", model_name="iris")
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_workspace_path()
        self.store = Store.open(self.path)

    @classmethod
    def from_config(cls, path: str | Path | None = None, **_azure_only: Any) -> Workspace:
        """Azure reads ``config.json``; here ``path`` is the workspace folder itself and
        Azure's authentication arguments are accepted and ignored."""
        return cls(path)

    @classmethod
    def create(cls, path: str | Path | None = None, exist_ok: bool = True) -> Workspace:
        """Open (and eagerly create) a workspace folder."""
        workspace = cls(path)
        if workspace.store.exists() and not exist_ok:
            raise InvalidInputError(f"a workspace already exists at {workspace.path}")
        workspace.store.create()
        return workspace

    @property
    def name(self) -> str:
        return self.path.resolve().name

    @property
    def models(self) -> dict[str, Model]:
        """The latest version of each model, by name (as Azure's ``ws.models``)."""
        from servesize.sdk._model import Model

        return _latest({r.name: r for r in self.store.models.list()}, Model, self)

    @property
    def datasets(self) -> dict[str, TabularDataset]:
        from servesize.sdk._dataset import TabularDataset

        return _latest({r.name: r for r in self.store.datasets.list()}, TabularDataset, self)

    @property
    def environments(self) -> dict[str, Environment]:
        from servesize.sdk._environment import Environment

        return _latest({r.name: r for r in self.store.environments.list()}, Environment, self)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"


def _latest(records: dict[str, Any], cls: Any, workspace: Workspace) -> dict[str, Any]:
    return {name: cls._from_record(workspace, record) for name, record in records.items()}


def store_of(workspace: Workspace | Store | str | Path) -> Store:
    """The store behind what users pass as ``workspace``: a Workspace, a Store or a path."""
    if isinstance(workspace, Workspace):
        return workspace.store
    if isinstance(workspace, Store):
        return workspace
    if isinstance(workspace, str | Path):
        return Store.open(Path(workspace))
    raise InvalidInputError(f"expected a Workspace, got {type(workspace).__name__}")
