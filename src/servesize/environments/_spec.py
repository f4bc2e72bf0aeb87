"""What an environment build needs, read from a pip or conda specification, and its key.

The key is a hash of the *normalised* specification: requirement order, spacing and
name spelling (``Scikit_Learn`` vs ``scikit-learn``) do not change it; versions, extras,
markers, index options and the Python interpreter's version do.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from servesize.errors import InvalidInputError

__all__ = ["HOST_REPLACES", "HOST_REQUIREMENTS", "BuildSpec", "normalise", "spec_key"]

#: What the scoring host needs in the environment besides the standard library; added
#: to the user's requirements only when they do not name the package themselves (their
#: pin wins). Neither has dependencies, so adding them cannot move another package.
HOST_REQUIREMENTS = ("httptools>=0.6,<1", "uvloop>=0.19,<1; sys_platform != 'win32'")

#: Azure's serving packages: the scoring host replaces them (and its shims answer their
#: imports), so they are left out of a build, as an image's server is not the model's.
HOST_REPLACES = frozenset(
    {"azureml-defaults", "azureml-inference-server-http", "azureml-contrib-services"}
)

#: Bumped when the layout of a built environment changes, so old builds are not reused.
_LAYOUT = 2

# conda entries that a virtual environment provides by itself
_CONDA_BUILTIN = {"python", "pip", "setuptools", "wheel"}
_CONDA_ENTRY = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


@dataclass(frozen=True)
class BuildSpec:
    """An environment to build: pip requirement lines (options such as ``--index-url``
    included) and the Python version asked for (None: the current interpreter's)."""

    name: str | None
    version: int | None
    requirements: tuple[str, ...]
    python: str | None = None
    #: Azure's ``user_managed_dependencies``: nothing is built, the current Python runs.
    user_managed: bool = False
    #: False: what runs is not servesize's scoring host (an MLflow model's server), so
    #: ``HOST_REQUIREMENTS`` are not added (they would change the server measured)
    scoring_host: bool = True

    @property
    def label(self) -> str:
        if self.name is None:
            return "inline environment"
        return self.name if self.version is None else f"{self.name}:{self.version}"

    @classmethod
    def from_parts(
        cls,
        name: str | None,
        version: int | str | None,
        pip_requirements: Iterable[str],
        conda_dependencies: Mapping[str, Any] | None = None,
        user_managed: bool = False,
    ) -> BuildSpec:
        """From an environment's pip lines and conda specification (whose ``python``
        entry gives the version; any other conda package is refused, naming each)."""
        python = None
        if conda_dependencies is not None and not user_managed:
            python = _conda_python(conda_dependencies)
        requirements = tuple(str(r) for r in pip_requirements)
        number = int(version) if version is not None and str(version).isdigit() else None
        return cls(name, number, requirements, python, user_managed)

    def replaced(self) -> tuple[str, ...]:
        """The requirements the host replaces (left out of the build)."""
        return tuple(r for r in self.requirements if _name(r) in HOST_REPLACES)

    def with_host(self) -> tuple[str, ...]:
        """The user's requirements (less those the host replaces) plus what the host
        needs and they did not name."""
        named = {_name(line) for line in self.requirements}
        own = tuple(r for r in self.requirements if _name(r) not in HOST_REPLACES)
        if not self.scoring_host:
            return own
        extra = tuple(r for r in HOST_REQUIREMENTS if _name(r) not in named)
        return (*own, *extra)


def _conda_python(spec: Mapping[str, Any]) -> str | None:
    python = None
    refused: list[str] = []
    for item in spec.get("dependencies") or []:
        if not isinstance(item, str):
            continue  # the pip: section
        match = _CONDA_ENTRY.match(item)
        if not match:
            refused.append(item)
            continue
        name, constraint = match.group(1).lower(), match.group(2)
        if name == "python":
            python = _python_request(constraint)
        elif name not in _CONDA_BUILTIN:
            refused.append(item.strip())
    if refused:
        hints = ", ".join(_pip_hint(entry) for entry in refused)
        raise InvalidInputError(
            f"conda packages cannot be installed (servesize builds pip environments): "
            f"{', '.join(refused)}; move them to the pip: section ({hints}) or set "
            "python.user_managed_dependencies = True to use the current Python"
        )
    return python


def _python_request(constraint: str) -> str | None:
    """conda's ``python=3.11`` (a prefix match) as a version uv understands."""
    text = constraint.replace(" ", "")
    if not text:
        return None
    if text.startswith("=") and not text.startswith("=="):
        text = text[1:]
    return text.rstrip(".*") if "*" in text else text


def _pip_hint(entry: str) -> str:
    name, _, version = entry.partition("=")
    return f"{name.strip()}=={version.lstrip('=')}" if version else name.strip()


def _name(line: str) -> str | None:
    try:
        return canonicalize_name(Requirement(line).name)
    except InvalidRequirement:
        return None


def normalise(requirements: Sequence[str]) -> list[str]:
    """Canonical requirement lines, sorted and without duplicates.

    Raises ``InvalidInputError`` naming a line that is not a requirement.
    """
    lines = set()
    for raw in requirements:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("-"):  # an option line: only its spacing is normalised
            lines.add(" ".join(line.split()))
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            first = str(exc).splitlines()[0]
            raise InvalidInputError(f"not a pip requirement: {line!r} ({first})") from exc
        text: str = canonicalize_name(req.name)
        if req.extras:
            text += "[" + ",".join(sorted(canonicalize_name(e) for e in req.extras)) + "]"
        if req.url:
            text += f" @ {req.url}"
        text += ",".join(sorted(str(s) for s in req.specifier))
        if req.marker is not None:
            text += f"; {req.marker}"
        lines.add(text)
    return sorted(lines)


def spec_key(requirements: Sequence[str], python_version: str) -> str:
    """The cache key: 16 hex digits of the normalised requirements and the interpreter."""
    payload = {"layout": _LAYOUT, "python": python_version, "requirements": normalise(requirements)}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return digest[:16]
