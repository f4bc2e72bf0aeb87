"""SDK v1 style: finds its model by name in init(); run() resolves whatever it is asked."""

import json
import os

from azureml.core.model import Model

loaded = {}


def init():
    loaded["default"] = Model.get_model_path(model_name="iris")


def _relative(path):
    return os.path.relpath(path, os.environ["AML_APP_ROOT"])


def run(raw_data):
    query = json.loads(raw_data)
    try:
        found = Model.get_model_path(query["name"], version=query.get("version"))
    except Exception as exc:
        return {"error": type(exc).__name__}
    return {"path": _relative(found), "init": _relative(loaded["default"])}
