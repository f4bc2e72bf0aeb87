"""An MLflow model's own environment, read from the files MLflow writes beside ``MLmodel``.

``mlflow models serve --env-manager virtualenv`` (its default) builds the model's
environment from ``python_env.yaml`` (the Python version; its ``dependencies`` are
``-r requirements.txt``) and ``requirements.txt``; ``conda.yaml`` says the same for
conda. servesize reads the same files into an :class:`EnvironmentSpec` that the
environments package builds with uv and caches like any other environment:

- pip lines: ``requirements.txt``, else the ``pip:`` section of ``conda.yaml``;
- Python: ``python_env.yaml``'s ``python``, else ``conda.yaml``'s ``python=`` entry;
- what the scoring server needs and the lines do not name: MLflow itself (as
  ``mlflow-skinny`` at the model's ``mlflow_version``), and, when only
  ``mlflow-skinny`` is named (``mlflow`` brings them), pandas, uvicorn and FastAPI.
  The user's own lines always win.

Interpreters are not downloaded here: MLflow records the patch release it ran on
(``3.11.7``); when that exact one is not on the machine, the same minor release is
used and the note says so; a minor release that is not here is a one-line error
naming those that are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from servesize.environments import BuildSpec, find_python
from servesize.errors import EnvironmentBuildError, InvalidInputError
from servesize.profiling.request import EnvironmentSpec
from servesize.workspace import parse_pip_requirements, pip_from_conda

__all__ = ["ENV_MANAGERS", "ModelEnvironment", "read_model_environment"]

#: ``mlflow models serve --env-manager`` values: ``local`` runs servesize's own
#: interpreter; ``virtualenv`` and ``uv`` both build with uv into servesize's cache.
ENV_MANAGERS = ("local", "virtualenv", "uv")

#: What the scoring server imports beyond ``mlflow-skinny``'s own dependencies.
_SKINNY_NEEDS = ("pandas", "uvicorn", "fastapi")

_PATCH = re.compile(r"^(\d+)\.(\d+)\.\d+$")

Reader = Callable[[str], bytes | None]


class ModelEnvironment:
    """The spec to build and a sentence saying where it came from (for the note)."""

    def __init__(self, spec: EnvironmentSpec, source: str) -> None:
        self.spec = spec
        self.source = source


def read_model_environment(
    read: Reader, label: str, mlflow_version: str | None = None
) -> ModelEnvironment:
    """The environment of the MLflow model whose files ``read(name)`` returns (None:
    absent); ``label`` names the model in errors and in the environment's name."""
    requirements_txt = read("requirements.txt")
    python_env = _yaml(read("python_env.yaml"), f"{label}: python_env.yaml")
    conda = _yaml(read("conda.yaml"), f"{label}: conda.yaml")
    if requirements_txt is not None:
        lines = parse_pip_requirements(requirements_txt.decode("utf-8", "replace"))
        pip_source = "requirements.txt"
    elif conda is not None:
        lines = pip_from_conda(conda, f"{label}: conda.yaml")
        pip_source = "conda.yaml"
    else:
        raise InvalidInputError(
            f"MLflow model {label} has no requirements.txt or conda.yaml to build its "
            "environment from: use --env-manager local (servesize's own Python)"
        )
    for line in lines:
        if line.split()[0] in ("-r", "-c", "--requirement", "--constraint"):
            raise InvalidInputError(
                f"MLflow model {label}: {pip_source} refers to another file ({line!r}), "
                "which servesize does not follow; use --env-manager local or --environment"
            )
    asked, asked_by = _python_request(python_env, conda)
    name = f"MLflow model {label}"
    # BuildSpec checks conda.yaml's other entries (conda-only packages are refused)
    BuildSpec.from_parts(name, None, lines, conda if asked_by == "conda.yaml" else None)
    _check_mlflow_major(lines, label)
    lines = [*lines, *_server_needs(lines, mlflow_version)]
    python, used = _available(asked)
    if asked is None:
        source = f"its {pip_source} with servesize's Python {used} (no version is named)"
    elif used == asked:
        source = f"its {pip_source} with Python {used} (from {asked_by})"
    else:
        source = (
            f"its {pip_source} with Python {used} ({asked_by} asks {asked}, which is not "
            "on this machine: the same minor release is used)"
        )
    spec = EnvironmentSpec(
        name=name, pip_requirements=tuple(lines), python=python, scoring_host=False
    )
    return ModelEnvironment(spec, source)


def _python_request(
    python_env: dict[str, Any] | None, conda: dict[str, Any] | None
) -> tuple[str | None, str | None]:
    """The Python version the files ask for and the file that asks (None, None)."""
    if python_env is not None and python_env.get("python"):
        return str(python_env["python"]).strip(), "python_env.yaml"
    if conda is not None:
        python = BuildSpec.from_parts(None, None, (), conda).python
        if python:
            return python, "conda.yaml"
    return None, None


def _available(request: str | None) -> tuple[str | None, str]:
    """The request to build with and the version it finds: ``3.11.7`` falls back to
    ``3.11`` when that patch release is not here (MLflow records the one it ran on,
    not one the model needs)."""
    try:
        return request, find_python(request).version
    except EnvironmentBuildError:
        patch = _PATCH.match(request or "")
        if patch is None:
            raise
        minor = f"{patch.group(1)}.{patch.group(2)}"
        return minor, find_python(minor).version  # not here either: the one-line error


def _names(lines: list[str]) -> set[str]:
    names: set[str] = set()
    for line in lines:
        try:
            names.add(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:
            continue  # option lines (--index-url ...); a bad line fails when normalised
    return names


def _server_needs(lines: list[str], mlflow_version: str | None) -> list[str]:
    """What ``mlflow.pyfunc.scoring_server`` needs and ``lines`` do not name."""
    names = _names(lines)
    extra: list[str] = []
    if "mlflow" in names:
        return extra  # the full package brings pandas, uvicorn and FastAPI
    if "mlflow-skinny" not in names:
        extra.append(f"mlflow-skinny=={mlflow_version}" if mlflow_version else "mlflow-skinny")
    extra += [n for n in _SKINNY_NEEDS if n not in names]
    return extra


def _check_mlflow_major(lines: list[str], label: str) -> None:
    """servesize runs MLflow 3's FastAPI scoring server; MLflow 2 had a Flask one."""
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) not in ("mlflow", "mlflow-skinny"):
            continue
        pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
        major = pins[0].split(".")[0] if pins else ""
        if major.isdigit() and int(major) < 3:
            raise InvalidInputError(
                f"MLflow model {label} pins {line}: servesize serves models with MLflow 3's "
                "scoring server; pin mlflow>=3 or use --env-manager local"
            )


def _yaml(data: bytes | None, source: str) -> dict[str, Any] | None:
    if data is None:
        return None
    import yaml

    try:
        parsed = yaml.safe_load(data.decode("utf-8", "replace"))
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0]
        raise InvalidInputError(f"{source} is not valid YAML ({first})") from exc
    if not isinstance(parsed, dict):
        raise InvalidInputError(f"{source} is not a mapping")
    return parsed
