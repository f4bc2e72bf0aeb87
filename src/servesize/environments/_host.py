"""The scoring host's code as a folder a built environment can import from.

A built environment gets nothing of servesize installed: the service is started with
``PYTHONPATH`` naming a folder that holds only ``servesize.serving`` and
``servesize.errors`` (the host imports nothing else of servesize) under a stub package
``__init__`` that defines ``__version__`` and imports nothing. The folder is a copy
named by a hash of its content, so one servesize version's host never serves another's
files and environments stay independent of servesize's version.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from servesize.errors import EnvironmentBuildError

__all__ = ["host_path"]

_STUB = '''"""servesize's scoring host only (copied here by servesize's environment builder)."""

__version__ = {version!r}
'''


def _sources() -> dict[str, bytes]:
    """Relative path -> content of every file the host needs."""
    from servesize import __version__  # here: servesize's package imports this module

    package = Path(__file__).resolve().parent.parent
    files = {"servesize/errors.py": (package / "errors.py").read_bytes()}
    for path in sorted((package / "serving").rglob("*.py")):
        files[f"servesize/{path.relative_to(package).as_posix()}"] = path.read_bytes()
    files["servesize/__init__.py"] = _STUB.format(version=__version__).encode()
    return files


def host_path(root: Path) -> Path:
    """The folder to put on the service's ``PYTHONPATH`` (made on first use)."""
    files = _sources()
    digest = hashlib.sha256()
    for name, content in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    final = root / digest.hexdigest()[:16]
    if final.is_dir():
        return final
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    except OSError as exc:
        raise EnvironmentBuildError(f"cannot write the scoring host's folder: {exc}") from exc
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        os.rename(staging, final)
    except OSError as exc:
        if not final.is_dir():  # else a concurrent twin got there first: use it
            raise EnvironmentBuildError(f"cannot write the scoring host's folder: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
