"""Content-addressed artifact store: ``artifacts/sha256/<2 hex>/<64 hex>``.

A blob's name is the hash of its bytes, so the same content is stored once however
many model versions, datasets or environments refer to it.  Every write goes to a
temporary file in the store and is moved into place with ``os.replace``, so a reader
never sees half a blob.  Blobs are made read-only as a hint that they are shared.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

from servesize.errors import InvalidInputError, NotFoundError, ServesizeError

__all__ = ["ArtifactStore"]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    def path_of(self, digest: str) -> Path:
        if not _DIGEST.fullmatch(digest):
            raise ServesizeError(f"corrupt workspace: bad artifact digest {digest!r}")
        return self.root / "sha256" / digest[:2] / digest

    def exists(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store a file's bytes; return ``(sha256, size)``."""
        try:
            with source.open("rb") as reader, self._temp() as (tmp_path, writer):
                digest = hashlib.sha256()
                size = 0
                while chunk := reader.read(_CHUNK):
                    digest.update(chunk)
                    writer.write(chunk)
                    size += len(chunk)
                _seal(writer)
                return self._commit(tmp_path, digest.hexdigest()), size
        except FileNotFoundError as exc:
            raise NotFoundError(f"no such file: {source}") from exc
        except OSError as exc:
            raise InvalidInputError(f"cannot read {source}: {exc.strerror or exc}") from exc

    def put_bytes(self, data: bytes) -> str:
        """Store bytes; return their sha256."""
        with self._temp() as (tmp_path, writer):
            writer.write(data)
            _seal(writer)
            return self._commit(tmp_path, hashlib.sha256(data).hexdigest())

    def read_bytes(self, digest: str) -> bytes:
        try:
            return self.path_of(digest).read_bytes()
        except FileNotFoundError as exc:
            raise ServesizeError(f"corrupt workspace: artifact {digest} is missing") from exc

    def copy_to(self, digest: str, dest: Path) -> None:
        """Copy a blob out (never a link: a script writing into its model dir must not
        change the stored model)."""
        source = self.path_of(digest)
        if not source.is_file():
            raise ServesizeError(f"corrupt workspace: artifact {digest} is missing")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
        except OSError as exc:
            raise InvalidInputError(f"cannot write {dest}: {exc.strerror or exc}") from exc

    def stage_removal(self, digest: str) -> Path | None:
        """Move a blob aside; :meth:`finish_removal` deletes it once the database commits."""
        source = self.path_of(digest)
        staged = self._tmp / f"{digest}.{uuid.uuid4().hex}.removed"
        self._tmp.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, staged)
        except FileNotFoundError:
            return None
        return staged

    def undo_removal(self, staged: Path) -> None:
        digest = staged.name.split(".", 1)[0]
        target = self.path_of(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)

    @staticmethod
    def finish_removal(staged: Path) -> None:
        staged.unlink(missing_ok=True)

    # -- internals ------------------------------------------------------------------

    def _temp(self) -> AbstractContextManager[tuple[Path, BinaryIO]]:
        self._tmp.mkdir(parents=True, exist_ok=True)
        return _temp_file(self._tmp)

    def _commit(self, tmp_path: Path, digest: str) -> str:
        target = self.path_of(digest)
        if target.is_file():
            return digest  # already stored: dedup
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_path.chmod(0o444)
        os.replace(tmp_path, target)
        return digest


@contextmanager
def _temp_file(folder: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A temporary file in the store's own folder (same filesystem, so os.replace is
    atomic), removed on exit unless it was moved into place."""
    fd, name = tempfile.mkstemp(dir=folder, prefix="put-", suffix=".tmp")
    path = Path(name)
    file = os.fdopen(fd, "wb")
    try:
        yield path, file
    finally:
        file.close()
        path.unlink(missing_ok=True)


def _seal(file: BinaryIO) -> None:
    # fsync before the rename: after a crash the name must not point at missing bytes.
    file.flush()
    os.fsync(file.fileno())
    file.close()
