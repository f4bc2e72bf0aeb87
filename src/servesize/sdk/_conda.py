"""``CondaDependencies``: Azure ML SDK v1's conda specification builder.

servesize runs the entry script with the current Python, so a specification is
recorded, not built: its ``pip:`` packages are what a profile checks and reports.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError
from servesize.workspace import pip_from_conda, read_conda_specification

__all__ = ["CondaDependencies"]

# A requirement's distribution (or conda package) name: what two entries share when one
# replaces the other ("scikit-learn==1.4" replaces "scikit-learn").
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _name_of(package: str) -> str:
    match = _NAME.match(package)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else package.strip()


class CondaDependencies:
    """A conda environment specification, edited as Azure's ``CondaDependencies`` is::

    deps = CondaDependencies.create(pip_packages=["azureml-defaults", "scikit-learn"])
    deps.add_pip_package("joblib")
    env.python.conda_dependencies = deps
    """

    def __init__(self, conda_dependencies_file_path: str | Path | None = None) -> None:
        if conda_dependencies_file_path is not None:
            spec, _text = read_conda_specification(Path(conda_dependencies_file_path))
            self._spec: dict[str, Any] = copy.deepcopy(spec)
        else:
            python = f"python={sys.version_info.major}.{sys.version_info.minor}"
            self._spec = {"name": "project_environment", "dependencies": [python]}
        self._path = (
            None if conda_dependencies_file_path is None else Path(conda_dependencies_file_path)
        )

    @staticmethod
    def create(
        pip_indexurl: str | None = None,
        pip_packages: Iterable[str] | None = None,
        conda_packages: Iterable[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
    ) -> CondaDependencies:
        """A new specification. ``pin_sdk_version`` is accepted: there is no Azure SDK
        version to pin locally."""
        deps = CondaDependencies()
        if python_version is not None:
            deps.set_python_version(python_version)
        for conda_package in conda_packages or ():
            deps.add_conda_package(conda_package)
        for pip_package in pip_packages or ():
            deps.add_pip_package(pip_package)
        if pip_indexurl is not None:
            deps.set_pip_option(f"--index-url {pip_indexurl}")
        return deps

    @classmethod
    def _from_dict(cls, spec: dict[str, Any]) -> CondaDependencies:
        pip_from_conda(spec)  # validates the shape
        deps = cls()
        deps._spec = copy.deepcopy(spec)
        return deps

    # --- reading ---------------------------------------------------------------------------

    @property
    def conda_packages(self) -> list[str]:
        return [d for d in self._dependencies() if isinstance(d, str)]

    @property
    def pip_packages(self) -> list[str]:
        """The pip requirements (options such as ``--index-url`` left out)."""
        return [p for p in pip_from_conda(self._spec) if not p.strip().startswith("-")]

    @property
    def pip_options(self) -> list[str]:
        return [p for p in pip_from_conda(self._spec) if p.strip().startswith("-")]

    @property
    def conda_channels(self) -> list[str]:
        return [str(c) for c in self._spec.get("channels") or []]

    def as_dict(self) -> dict[str, Any]:
        """The specification as the YAML file's mapping (a copy)."""
        return copy.deepcopy(self._spec)

    def serialize_to_string(self) -> str:
        import yaml

        return str(yaml.safe_dump(self._spec, sort_keys=False, default_flow_style=False))

    def save(self, path: str | Path | None = None) -> str:
        """Write the YAML to ``path`` (by default the file it was read from)."""
        target = Path(path) if path is not None else self._path
        if target is None:
            raise InvalidInputError(
                "save() needs a path: this specification was not read from a file"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.serialize_to_string(), encoding="utf-8")
        return str(target)

    def save_to_file(self, base_directory: str | Path, conda_file_path: str | None = None) -> str:
        """Azure's older name: ``base_directory/conda_file_path`` (default ``myenv.yml``)."""
        return self.save(Path(base_directory) / (conda_file_path or "myenv.yml"))

    # --- editing ---------------------------------------------------------------------------

    def add_conda_package(self, conda_package: str) -> None:
        self._replace(self._dependencies(), conda_package)

    def remove_conda_package(self, conda_package: str) -> None:
        name = _name_of(conda_package)
        deps = self._dependencies()
        deps[:] = [d for d in deps if not (isinstance(d, str) and _name_of(d) == name)]

    def add_pip_package(self, pip_package: str) -> None:
        self._replace(self._pip(), pip_package)

    def remove_pip_package(self, pip_package: str) -> None:
        name = _name_of(pip_package)
        pip = self._pip()
        pip[:] = [p for p in pip if str(p).startswith("-") or _name_of(str(p)) != name]

    def set_pip_option(self, pip_option: str) -> None:
        """An option line such as ``--index-url URL``; one per option name."""
        option = pip_option.split()[0] if pip_option.split() else pip_option
        pip = self._pip()
        pip[:] = [p for p in pip if str(p).split()[:1] != [option]]
        pip.insert(0, pip_option)

    def add_channel(self, channel: str) -> None:
        channels = self._spec.setdefault("channels", [])
        if channel not in channels:
            channels.append(channel)

    def set_python_version(self, version: str) -> None:
        self._replace(self._dependencies(), f"python={version}")

    def _dependencies(self) -> list[Any]:
        deps = self._spec.setdefault("dependencies", [])
        if not isinstance(deps, list):
            raise InvalidInputError("the conda specification's 'dependencies' must be a list")
        return deps

    def _pip(self) -> list[Any]:
        deps = self._dependencies()
        for item in deps:
            if isinstance(item, dict) and "pip" in item:
                if item["pip"] is None:
                    item["pip"] = []
                pip: list[Any] = item["pip"]
                return pip
        if "pip" not in [_name_of(d) for d in deps if isinstance(d, str)]:
            deps.append("pip")  # conda installs the pip section with its own pip
        new: list[Any] = []
        deps.append({"pip": new})
        return new

    @staticmethod
    def _replace(entries: list[Any], package: str) -> None:
        if not isinstance(package, str) or not package.strip():
            raise InvalidInputError(f"expected a package name, got {package!r}")
        name = _name_of(package)
        for index, entry in enumerate(entries):
            if isinstance(entry, str) and _name_of(entry) == name:
                entries[index] = package
                return
        entries.append(package)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CondaDependencies) and other._spec == self._spec

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CondaDependencies(pip={self.pip_packages!r}, conda={self.conda_packages!r})"
