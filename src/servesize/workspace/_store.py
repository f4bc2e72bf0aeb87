"""The workspace: one folder holding the database, the artifacts and the profile logs."""

from __future__ import annotations

from pathlib import Path

from servesize.workspace._artifacts import ArtifactStore
from servesize.workspace._datasets import DatasetRegistry
from servesize.workspace._db import Database
from servesize.workspace._environments import EnvironmentRegistry
from servesize.workspace._location import DEFAULT_WORKSPACE, default_workspace_path
from servesize.workspace._models import ModelRegistry
from servesize.workspace._profiles import ProfileRegistry, profile_log_file

__all__ = ["DEFAULT_WORKSPACE", "Store", "default_workspace_path", "profile_log_file"]


class Store:
    """The registries of one workspace.

    Opening touches nothing; the folder and database are created by the first write,
    and a read of a workspace that does not exist is :class:`NotFoundError`::

        store = Store.open(Path(".servesize"))
        record = store.models.register("iris", Path("model.joblib"))
        print(record.id)  # iris:1
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._db = Database(root)
        self.artifacts = ArtifactStore(root / "artifacts")
        self.models = ModelRegistry(self._db, self.artifacts)
        self.datasets = DatasetRegistry(self._db, self.artifacts)
        self.environments = EnvironmentRegistry(self._db, self.artifacts)
        self.profiles = ProfileRegistry(self._db, root)

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        return cls(Path(path) if path is not None else default_workspace_path())

    def exists(self) -> bool:
        return self._db.exists()

    def create(self) -> None:
        """Create the folder and database now instead of on the first write."""
        with self._db.write():
            pass

    def profile_log_path(self, name: str) -> Path:
        """``<workspace>/logs/<name>.log`` (the folder is created, the name validated)."""
        path = profile_log_file(self.root, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"
