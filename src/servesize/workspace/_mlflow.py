"""What the registry records of an MLflow model: its flavors and signature.

An MLflow model is a folder with an ``MLmodel`` file (YAML).  Registering one keeps
the folder as it is and adds properties, so ``model show`` tells what it is and the
profiler can serve it without an entry script::

    mlflowFlavors    "python_function,sklearn"
    mlflowSignature  '{"inputs": [...], "outputs": [...], "params": null}'
    mlflowVersion    "3.17.2"
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from servesize.errors import InvalidInputError

__all__ = ["MLMODEL", "PYFUNC", "mlflow_properties"]

MLMODEL = "MLmodel"
PYFUNC = "python_function"


def mlflow_properties(folder: Path) -> dict[str, str]:
    """The properties of the MLflow model in ``folder``; ``{}`` when it is not one."""
    file = folder / MLMODEL
    if not folder.is_dir() or not file.is_file():
        return {}
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{file} is not valid YAML: {exc}".splitlines()[0]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("flavors"), dict):
        raise InvalidInputError(f"{file} has no 'flavors' mapping: not an MLflow model file")
    props = {"mlflowFlavors": ",".join(sorted(str(k) for k in data["flavors"]))}
    signature = data.get("signature")
    if isinstance(signature, dict):
        props["mlflowSignature"] = json.dumps(
            {key: _json_field(signature.get(key)) for key in ("inputs", "outputs", "params")}
        )
    if data.get("mlflow_version"):
        props["mlflowVersion"] = str(data["mlflow_version"])
    return props


def _json_field(value: Any) -> Any:
    """MLmodel stores each part of the signature as a JSON string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
