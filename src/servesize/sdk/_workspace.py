"""``Workspace``: where the registries live (Azure ML's workspace, as a local folder)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from servesize.errors import InvalidInputError
from servesize.workspace import Store, default_workspace_path

if TYPE_CHECKING:
    from servesize.sdk._dataset import TabularDataset
    from servesize.sdk._datastore import Datastore
    from servesize.sdk._environment import Environment
    from servesize.sdk._model import Model

__all__ = ["Workspace", "store_of"]

# Keyword arguments of Azure's Workspace(...), Workspace.get(...) and Workspace.create(...):
# they name or authenticate a cloud workspace, which means nothing locally.
_AZURE_ONLY = frozenset(
    {
        "subscription_id", "resource_group", "workspace_name", "name", "auth", "location",
        "cloud", "id", "sku", "tags", "friendly_name", "create_resource_group", "show_output",
        "storage_account", "key_vault", "app_insights", "container_registry", "_location",
        "_disable_service_check", "_workspace_id", "_cloud", "_logger", "_file_name",
    }
)  # fmt: skip


def _check_azure_only(kwargs: dict[str, Any], where: str) -> None:
    unknown = sorted(set(kwargs) - _AZURE_ONLY)
    if unknown:
        raise InvalidInputError(f"{where} got an unexpected argument {unknown[0]!r}")


class Workspace:
    """A local workspace folder; created on the first write.

    ``Workspace()`` uses ``$SERVESIZE_WORKSPACE`` or ``./.servesize``::

        ws = Workspace("my-workspace")
        model = Model.register(ws, model_path="model.joblib", model_name="iris")

    Azure's form ``Workspace(subscription_id, resource_group, workspace_name)`` names a
    cloud workspace; it opens the default local one (the names are kept as attributes).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        resource_group: str | None = None,
        workspace_name: str | None = None,
        **azure_only: Any,
    ) -> None:
        _check_azure_only(azure_only, "Workspace()")
        azure = resource_group is not None or workspace_name is not None or bool(azure_only)
        subscription = azure_only.get("subscription_id", path if azure else None)
        self.subscription_id: str | None = None if subscription is None else str(subscription)
        self.resource_group = resource_group or azure_only.get("resource_group")
        self.location = "local"
        self.path = default_workspace_path() if azure or path is None else Path(path)
        self.store = Store.open(self.path)

    @classmethod
    def from_config(
        cls, path: str | Path | None = None, auth: Any = None, **azure_only: Any
    ) -> Workspace:
        """Azure reads a ``config.json`` naming a cloud workspace: such a file (or a folder
        holding one) opens the default local workspace; any other ``path`` is the
        workspace folder itself."""
        _check_azure_only(azure_only, "Workspace.from_config()")
        if path is None or _is_azure_config(Path(path)):
            return cls()
        return cls(path)

    @classmethod
    def get(cls, name: str | None = None, auth: Any = None, **azure_only: Any) -> Workspace:
        """Azure's lookup of a cloud workspace by name: opens the default local one."""
        _check_azure_only(azure_only, "Workspace.get()")
        return cls()

    @classmethod
    def create(
        cls, path: str | Path | None = None, exist_ok: bool = True, **azure_only: Any
    ) -> Workspace:
        """Open (and eagerly create) a workspace folder. With Azure's arguments
        (``subscription_id=``, ``resource_group=``...), ``path`` is a cloud workspace's
        name and the default local workspace is used."""
        _check_azure_only(azure_only, "Workspace.create()")
        workspace = cls() if azure_only else cls(path)
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

    def get_default_datastore(self) -> Datastore:
        from servesize.sdk._datastore import Datastore

        return Datastore.get_default(self)

    @property
    def datastores(self) -> dict[str, Datastore]:
        from servesize.sdk._datastore import datastores_of

        return datastores_of(self)

    def get_details(self) -> dict[str, Any]:
        return {"name": self.name, "location": self.location, "path": str(self.path.resolve())}

    def write_config(self, path: str | None = None, file_name: str | None = None) -> None:
        """Azure writes ``config.json``; a local workspace needs none."""

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"


def _is_azure_config(path: Path) -> bool:
    """A ``config.json`` file, or a folder (not a servesize workspace) that holds one."""
    if path.is_file():
        return True
    if not path.is_dir() or (path / "servesize.db").exists():
        return False
    return any((path / p).is_file() for p in ("config.json", ".azureml/config.json"))


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
