"""Imports between servesize's packages go one way (docs/architecture.md):

    cli -> sweeps -> sdk -> planning -> {profiling, report} -> deploy -> environments
        -> {load, serving, workspace} -> {errors, _process}

Read from the source with ``ast`` (nothing is imported), so a function-level import
counts too.  The package root may be imported from anywhere for ``__version__`` only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import servesize

SRC = Path(servesize.__file__).parent

#: A package may import the packages of a lower rank, never its own rank or above.
RANK = {
    "errors": 0,
    "_process": 0,
    "load": 10,
    "serving": 10,
    "workspace": 10,
    "environments": 15,
    "profiling": 20,
    "deploy": 18,
    "report": 20,
    # plans from a stored profile and a trace; report renders the stored plan only
    "planning": 25,
    "sdk": 30,
    "sweeps": 40,
    "cli": 50,
    "__main__": 60,
}


def _imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(absolute module, imported names) of every import in ``path``."""
    package = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            yield module, [alias.name for alias in node.names]


def _edges() -> Iterator[tuple[str, str, str, list[str]]]:
    """(file, importing package, imported module, names) within servesize."""
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        source = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for module, names in _imports(path):
            parts = module.split(".")
            if parts[0] == "servesize":
                yield str(rel), source, module, names


def test_packages_import_downwards_only() -> None:
    wrong = []
    for rel, source, module, names in _edges():
        parts = module.split(".")
        if source in ("__init__", "dataset_type_definitions"):
            continue  # the root's facades over the public SDK
        if len(parts) == 1:
            if set(names) - {"__version__"}:
                wrong.append(f"{rel}: from servesize import {', '.join(names)}")
            continue
        target = parts[1]
        if target == source:
            continue
        if source not in RANK or target not in RANK:
            # a new package: it must get a place in RANK before the lower layers use it
            if source in RANK and RANK[source] < RANK["sdk"]:
                wrong.append(f"{rel}: {source} imports {module} (place it in RANK)")
            continue
        if RANK[target] >= RANK[source]:
            wrong.append(f"{rel}: {source} imports {module}")
    assert wrong == []


def test_no_package_imports_anothers_private_module() -> None:
    wrong = [
        f"{rel}: {module}"
        for rel, source, module, _ in _edges()
        if len(module.split(".")) > 2
        and module.split(".")[1] != source
        and any(part.startswith("_") for part in module.split(".")[2:])
    ]
    assert wrong == []
