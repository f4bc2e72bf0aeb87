"""Plain run(raw_data): the body arrives as a str."""

import json
import os

state = {}


def init():
    state["model_dir"] = os.environ.get("AZUREML_MODEL_DIR", "")
    state["ready"] = True


def run(raw_data):
    return {"echo": raw_data, "type": type(raw_data).__name__, "ready": state["ready"]}


def _unused():
    return json.dumps(state)
