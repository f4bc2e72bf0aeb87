"""Checks made before anything starts, so bad arguments fail fast with one line.

The entry script is read, not run: user code runs only inside the limited service.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import psutil

from servesize.errors import EntryScriptError, InvalidInputError, NotFoundError
from servesize.profiling.settings import GIB, MIB, check_limit_values

__all__ = [
    "MIN_SERVICE_MEMORY_BYTES",
    "check_entry_script",
    "check_limits",
    "missing_requirements",
]

#: The least memory limit accepted.  The scoring server alone (interpreter, HTTP layer,
#: numpy) takes 41 MiB RSS before any user code (psutil after ``import
#: servesize.serving`` in the project's venv); below 64 MiB no model fits beside it.
MIN_SERVICE_MEMORY_BYTES = 64 * MIB

# Packages the Azure images carry that servesize replaces: never "missing".
_PROVIDED = {
    "azureml-defaults",
    "azureml-inference-server-http",
    "azureml-contrib-services",
    "azureml-core",
    "inference-schema",
}


def check_entry_script(path: Path) -> None:
    """Refuse a missing or unparsable script, or one that certainly lacks ``init``/``run``.

    The one check of ``init`` and ``run`` is the loader's (``servesize.serving``), which
    imports the script inside the limited service.  Here, without running user code,
    a script is refused only when the loader would certainly refuse it too: the name
    appears nowhere in it, and nothing could bind it unseen (a star import, ``exec``,
    ``globals()``, a module ``__getattr__``...).  Anything else (``from helpers import
    *``, a ``def run`` inside a ``with`` block, ``run, x = helpers.run, 1``) is left to
    the loader, which fails the profile with its own one-line reason.
    """
    if not path.is_file():
        raise NotFoundError(f"entry script not found: {path}")
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        raise EntryScriptError(
            f"entry script {path} has a syntax error at line {exc.lineno}: {exc.msg}"
        ) from exc
    except ValueError as exc:  # null bytes
        raise EntryScriptError(f"entry script {path} cannot be parsed: {exc}") from exc
    names = _mentioned_names(tree)
    if names & _DYNAMIC:
        return
    missing = [name for name in ("init", "run") if name not in names]
    if missing:
        raise EntryScriptError(
            f"entry script {path} does not define {' and '.join(f'{m}()' for m in missing)}"
        )


#: Ways a module can bind a name that its source does not spell out.
_DYNAMIC = frozenset({"*", "exec", "eval", "globals", "vars", "setattr", "__getattr__", "modules"})


def _mentioned_names(tree: ast.AST) -> set[str]:
    """Every identifier, attribute, definition and import name anywhere in ``tree``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[-1])
            names.add(node.name.split(".")[0])
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
    return names


def check_limits(cpu: float | None, memory_gb: float | None) -> None:
    """Refuse limits no machine can honour, or this one cannot give."""
    for what, value in (("cpu", cpu), ("memory_in_gb", memory_gb)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidInputError(f"{what} must be a number, got {value!r}")
    check_limit_values(cpu, None if memory_gb is None else memory_gb * GIB)
    if cpu is not None:
        available = len(os.sched_getaffinity(0))
        if cpu > available:
            raise InvalidInputError(
                f"cpu={cpu:g} is more than the {available} CPU(s) this machine can give"
            )
    if memory_gb is not None:
        if memory_gb * GIB < MIN_SERVICE_MEMORY_BYTES:
            raise InvalidInputError(
                f"memory_in_gb={memory_gb:g} is below the service's idle need "
                f"(the server alone takes about 0.04 GB; the least servesize accepts is "
                f"{MIN_SERVICE_MEMORY_BYTES / GIB:.2f} GB)"
            )
        total = psutil.virtual_memory().total
        if memory_gb * GIB > total:
            raise InvalidInputError(
                f"memory_in_gb={memory_gb:g} is more than this machine's "
                f"{total / GIB:.1f} GB of memory"
            )


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def missing_requirements(requirements: Iterable[str]) -> list[str]:
    """Requirements (pip lines) whose distribution is not installed here.

    Only names are checked: versions may legitimately differ from the pins of an
    Azure image, and the profile reports what it ran with.
    """
    missing: list[str] = []
    for line in requirements:
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        match = _REQ_NAME.match(text)
        if not match:
            continue
        name = match.group(1)
        if re.sub(r"[-_.]+", "-", name).lower() in _PROVIDED:
            continue
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(text)
    return missing
