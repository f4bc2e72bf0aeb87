"""``Datastore``: Azure ML's blob storage, as a folder of the workspace.

``<workspace>/datastores/<name>/``; the default one is Azure's ``workspaceblobstore``.
Datasets are built from ``(datastore, "relative/path")`` tuples, as in Azure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from servesize.errors import InvalidInputError, NotFoundError
from servesize.sdk._workspace import Workspace
from servesize.workspace import validate_name

__all__ = ["DataPath", "Datastore", "datastores_of", "local_path_of"]

DEFAULT_DATASTORE = "workspaceblobstore"
# Azure creates these two with every workspace; any other is registered first.
_BUILT_IN = (DEFAULT_DATASTORE, "workspacefilestore")


class Datastore:
    """A folder of files that datasets are read from::

    store = Datastore.get_default(ws)
    store.upload_files(["./requests.txt"], target_path="requests")
    Dataset.Tabular.from_delimited_files([(store, "requests/requests.txt")], separator="\\n")
    """

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        if not isinstance(workspace, Workspace):
            raise InvalidInputError(f"expected a Workspace, got {type(workspace).__name__}")
        self.workspace = workspace
        self.name = validate_name(name or DEFAULT_DATASTORE, "datastore name")
        self.datastore_type = "AzureBlob"  # Azure's attribute; the bytes are local files
        if self.name not in _BUILT_IN and not self.root.is_dir():
            raise NotFoundError(
                f"no datastore {self.name!r} in {workspace.path} "
                "(register it with Datastore.register_azure_blob_container)"
            )

    @property
    def root(self) -> Path:
        return self.workspace.path / "datastores" / self.name

    # --- getting ---------------------------------------------------------------------------

    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Datastore:
        return Datastore(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        return Datastore(workspace, DEFAULT_DATASTORE)

    @staticmethod
    def register_azure_blob_container(
        workspace: Workspace, datastore_name: str, container_name: str | None = None, **_azure: Any
    ) -> Datastore:
        """A new (local, empty) datastore; the Azure account and credentials are ignored."""
        validate_name(datastore_name, "datastore name")
        (workspace.path / "datastores" / datastore_name).mkdir(parents=True, exist_ok=True)
        return Datastore(workspace, datastore_name)

    register_azure_file_share = register_azure_blob_container

    # --- files -----------------------------------------------------------------------------

    def upload_files(
        self,
        files: Iterable[str | Path],
        relative_root: str | Path | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataPath:
        """Copy ``files`` to ``target_path``, keeping their paths below ``relative_root``
        (by default their common folder). Existing files are skipped unless ``overwrite``."""
        self._inside(target_path or "")  # report the user's path, not a joined one
        sources = [Path(f) for f in ([files] if isinstance(files, str | Path) else files)]
        for source in sources:
            if not source.is_file():
                raise NotFoundError(f"no file {source}")
        if not sources:
            return self.path(target_path)
        base = Path(
            relative_root
            if relative_root is not None
            else os.path.commonpath([str(s.resolve().parent) for s in sources])
        ).resolve()
        pairs = []
        for source in sources:
            try:
                relative = source.resolve().relative_to(base)
            except ValueError:
                raise InvalidInputError(f"{source} is not below relative_root {base}") from None
            pairs.append((source, self._inside(_join(target_path, relative.as_posix()))))
        self._copy(pairs, overwrite, show_progress)
        return self.path(target_path)

    def upload(
        self,
        src_dir: str | Path,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataPath:
        """Copy every file below ``src_dir`` to ``target_path``, keeping the tree."""
        self._inside(target_path or "")
        folder = Path(src_dir)
        if not folder.is_dir():
            raise NotFoundError(f"no folder {folder}")
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        pairs = [
            (f, self._inside(_join(target_path, f.relative_to(folder).as_posix()))) for f in files
        ]
        self._copy(pairs, overwrite, show_progress)
        return self.path(target_path)

    def download(
        self,
        target_path: str | Path,
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Copy the files below ``prefix`` into ``target_path``; returns how many."""
        start = self._inside(prefix or "")
        files = [start] if start.is_file() else sorted(p for p in start.rglob("*") if p.is_file())
        pairs = [(f, Path(target_path) / f.relative_to(self.root)) for f in files]
        self._copy(pairs, overwrite, show_progress, verb="Download")
        return len(pairs)

    def path(self, path: str | None = None, data_reference_name: str | None = None) -> DataPath:
        """A reference to ``path`` in this datastore, usable where a dataset reads files."""
        self._inside(path or "")
        return DataPath(self, path or "", data_reference_name)

    def _inside(self, relative: str) -> Path:
        """``root/relative``, refused when it is absolute or climbs out with ``..``."""
        pure = PurePosixPath(relative.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or (relative[1:3] == ":/"):
            raise InvalidInputError(
                f"datastore path {relative!r} must be relative and stay inside the datastore"
            )
        target = self.root.joinpath(*pure.parts)
        # a symlink inside the datastore must not lead out of it either
        if not target.resolve().is_relative_to(self.root.resolve()):
            raise InvalidInputError(f"datastore path {relative!r} leads outside the datastore")
        return target

    def _copy(
        self,
        pairs: list[tuple[Path, Path]],
        overwrite: bool,
        show_progress: bool,
        verb: str = "Upload",
    ) -> None:
        # the messages are Azure's, so a ported notebook's output reads the same
        if show_progress:
            print(f"{verb}ing an estimated of {len(pairs)} files")
        copied = 0
        if pairs:
            self.workspace.store.create()  # the datastore belongs to a real workspace
        for source, target in pairs:
            if target.exists() and not overwrite:
                if show_progress:
                    print(f"Target already exists. Skipping {verb.lower()} for {target.name}")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied += 1
            if show_progress:
                print(
                    f"{verb}ed {source}, {copied} files out of an estimated total of {len(pairs)}"
                )
        if show_progress:
            print(f"{verb}ed {copied} files")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Datastore) and (other.root.resolve() == self.root.resolve())

    def __hash__(self) -> int:
        return hash(self.root.resolve())

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, root={str(self.root)!r})"


class DataPath:
    """Azure's ``DataPath``/``DataReference``: a path inside a datastore."""

    def __init__(
        self,
        datastore: Datastore | None = None,
        path_on_datastore: str | None = None,
        name: str | None = None,
    ) -> None:
        if datastore is None:
            raise InvalidInputError("a DataPath needs a datastore")
        self.datastore = datastore
        self.path_on_datastore = path_on_datastore or ""
        self.name = name
        datastore._inside(self.path_on_datastore)

    @property
    def data_reference_name(self) -> str | None:
        return self.name

    def local_path(self) -> Path:
        return self.datastore._inside(self.path_on_datastore)

    def __repr__(self) -> str:
        return f"DataPath({self.datastore.name!r}, {self.path_on_datastore!r})"


def local_path_of(item: object) -> str | None:
    """The local path of a ``(datastore, "path")`` tuple or a DataPath; None for others.

    Globs are kept (``(store, "requests/*.txt")``), the dataset reader expands them.
    """
    if isinstance(item, DataPath):
        return str(item.local_path())
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Datastore):
        if not isinstance(item[1], str):
            raise InvalidInputError(f"a datastore path must be a string, got {item[1]!r}")
        return str(item[0]._inside(item[1]))
    return None


def datastores_of(workspace: Workspace) -> dict[str, Datastore]:
    """The built-in datastores and every registered one, by name."""
    folder = workspace.path / "datastores"
    names = set(_BUILT_IN)
    if folder.is_dir():
        names |= {p.name for p in folder.iterdir() if p.is_dir()}
    return {name: Datastore(workspace, name) for name in sorted(names)}


def _join(target_path: str | None, relative: str) -> str:
    return relative if not target_path else f"{target_path.rstrip('/')}/{relative}"
