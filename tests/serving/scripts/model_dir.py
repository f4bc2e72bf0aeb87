"""run() lists AZUREML_MODEL_DIR and reports the worker pid (for -m and --workers tests)."""

import os

files = []


def init():
    root = os.environ["AZUREML_MODEL_DIR"]
    for folder, _, names in os.walk(root):
        files.extend(os.path.relpath(os.path.join(folder, n), root) for n in names)


def run(data):
    return {"files": sorted(files), "pid": os.getpid(), "root": os.environ["AZUREML_MODEL_DIR"]}
