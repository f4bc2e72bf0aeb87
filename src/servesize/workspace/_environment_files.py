"""Reading environment specifications: pip requirements files and conda YAML files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError
from servesize.workspace._dataset_files import read_text

__all__ = [
    "check_environment_variables",
    "parse_pip_requirements",
    "pip_from_conda",
    "read_conda_specification",
    "read_pip_requirements",
]

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_pip_requirements(text: str) -> list[str]:
    """Requirement lines without blanks and comments (pip's rule: ``#`` after whitespace)."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            lines.append(line)
    return lines


def read_pip_requirements(path: Path | str) -> tuple[list[str], str]:
    """The requirements of a file and its text (stored as the environment's spec)."""
    text = read_text(Path(path))
    return parse_pip_requirements(text), text


def read_conda_specification(path: Path | str) -> tuple[dict[str, Any], str]:
    """A parsed conda environment file and its text."""
    file = Path(path)
    text = read_text(file)
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - PyYAML is a dependency
        raise InvalidInputError("reading a conda specification needs PyYAML") from exc
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0]
        raise InvalidInputError(f"{file} is not valid YAML ({first})") from exc
    if not isinstance(spec, dict):
        raise InvalidInputError(f"{file} is not a conda specification (expected a mapping)")
    pip_from_conda(spec, str(file))  # validates the shape
    return spec, text


def pip_from_conda(spec: Mapping[str, Any], source: str = "conda specification") -> list[str]:
    """The ``pip:`` requirements inside a conda specification's ``dependencies``."""
    dependencies = spec.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise InvalidInputError(f"{source}: 'dependencies' must be a list")
    pip: list[str] = []
    for item in dependencies:
        if isinstance(item, Mapping) and "pip" in item:
            entries = item["pip"] or []
            if not isinstance(entries, list):
                raise InvalidInputError(f"{source}: 'pip' must be a list of requirements")
            pip.extend(str(entry) for entry in entries)
        elif not isinstance(item, str | Mapping):
            raise InvalidInputError(f"{source}: unexpected dependency {item!r}")
    return pip


def check_environment_variables(variables: Mapping[str, object] | None) -> dict[str, str]:
    """Names like a shell's; values are strings (numbers are converted)."""
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise InvalidInputError("environment variables must be a mapping of names to values")
    result = {}
    for key, value in variables.items():
        if not isinstance(key, str) or not _VARIABLE.fullmatch(key):
            raise InvalidInputError(f"invalid environment variable name {key!r}")
        if value is None or isinstance(value, Mapping | list):
            raise InvalidInputError(f"environment variable {key} needs a string value")
        result[key] = value if isinstance(value, str) else str(value)
    return result
