"""The scoring host's code as a folder a built environment can import from.

A built environment gets nothing of servesize installed: the service is started with
``PYTHONPATH`` naming a folder that holds only ``servesize.serving`` and the modules of
servesize it imports (today ``servesize.errors``) under a stub package ``__init__``
that defines ``__version__`` and imports nothing. The folder is a copy
named by a hash of its content, so one servesize version's host never serves another's
files and environments stay independent of servesize's version.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from servesize.errors import EnvironmentBuildError

__all__ = ["host_path"]

_STUB = '''"""servesize's scoring host only (copied here by servesize's environment builder)."""

__version__ = {version!r}
'''


def _sources() -> dict[str, bytes]:
    """Relative path -> content of every file the host needs: ``servesize.serving`` and
    whatever of servesize it imports (followed through the copied files, so a module
    the host starts to import comes along without a change here)."""
    from servesize import __version__  # here: servesize's package imports this module

    package = Path(__file__).resolve().parent.parent
    files: dict[str, bytes] = {}
    pending = ["serving"]
    while pending:
        name = pending.pop()
        module = package / f"{name}.py"
        paths = [module] if module.is_file() else sorted((package / name).rglob("*.py"))
        for path in paths:
            relative = f"servesize/{path.relative_to(package).as_posix()}"
            if relative in files:
                continue
            files[relative] = path.read_bytes()
            text = files[relative].decode("utf-8", "replace")
            found = _IMPORT.findall(text)
            found += [n.strip() for names in _FROM_ROOT.findall(text) for n in names.split(",")]
            for other in found:
                exists = (package / f"{other}.py").is_file() or (package / other).is_dir()
                if other != name and other not in pending and exists:
                    pending.append(other)
    files["servesize/__init__.py"] = _STUB.format(version=__version__).encode()
    return dict(sorted(files.items()))


_IMPORT = re.compile(r"^\s*(?:from|import)\s+servesize\.(\w+)", re.MULTILINE)
_FROM_ROOT = re.compile(r"^\s*from\s+servesize\s+import\s+([\w, ]+)$", re.MULTILINE)


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
