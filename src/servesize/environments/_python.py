"""Which Python interpreter an environment is built on.

uv may not download interpreters here (and a profile should not depend on a download),
so only interpreters already on the machine are used: those uv finds on ``PATH`` and,
because pyenv only exposes its global version through its shims, pyenv's installed
versions as well.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from servesize.environments._uv import run_uv
from servesize.errors import EnvironmentBuildError

__all__ = ["Interpreter", "available_pythons", "find_python"]


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # e.g. "3.11.7"


def _search_path() -> str:
    """``PATH`` plus each pyenv version's ``bin`` (uv does not look there by itself)."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    extra = sorted(str(p / "bin") for p in root.glob("*") if (p / "bin").is_dir())
    return os.pathsep.join([os.environ.get("PATH", ""), *extra])


def _uv_args() -> list[str]:
    return ["--python-preference", "only-system", "--no-python-downloads", "--no-config"]


def find_python(request: str | None) -> Interpreter:
    """The current interpreter (``request`` None) or one on the machine matching
    ``request`` (``"3.12"``, ``"3.11.7"``, ``">=3.10"``).

    Raises ``EnvironmentBuildError`` naming the versions that are available.
    """
    current = platform.python_version()
    if request is None or _matches(current, request):
        # the interpreter servesize runs on when it will do: no search, no surprise
        return Interpreter(sys.executable, current)
    env = {"PATH": _search_path()}
    code, out, _err = run_uv(["python", "find", *_uv_args(), request], extra_env=env)
    path = out.strip().splitlines()[-1] if code == 0 and out.strip() else ""
    if not path:
        versions = ", ".join(available_pythons()) or "none"
        raise EnvironmentBuildError(
            f"no Python {request} on this machine (interpreters are not downloaded); "
            f"available: {versions}"
        )
    try:
        version = subprocess.run(
            [path, "-c", _VERSION], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentBuildError(f"cannot run the interpreter {path}: {exc}") from exc
    return Interpreter(path, version)


_VERSION = "import platform; print(platform.python_version())"


def _matches(version: str, request: str) -> bool:
    """Whether ``version`` satisfies a request: a prefix (``3.11``) or specifiers."""
    if request[:1].isdigit():
        return version == request or version.startswith(request + ".")
    try:
        return Version(version) in SpecifierSet(request)
    except (InvalidSpecifier, InvalidVersion):
        return False


def available_pythons() -> list[str]:
    """The distinct Python versions on this machine, newest first."""
    code, out, _err = run_uv(
        ["python", "list", "--only-installed", *_uv_args(), "--output-format", "json"],
        extra_env={"PATH": _search_path()},
    )
    if code != 0:
        return []
    try:
        entries = json.loads(out)
    except json.JSONDecodeError:
        return []
    versions = {str(e.get("version")) for e in entries if isinstance(e, dict)}
    return sorted(versions, key=_version_tuple, reverse=True)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in text.split("."))
