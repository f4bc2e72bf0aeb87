"""Entry script: the random-features network in plain numpy (matrix products in BLAS)."""

import json
import os

import numpy as np

weights = None


def init():
    global weights
    with np.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "weights.npz")) as data:
        weights = {k: data[k] for k in data.files}


def run(raw_data):
    x = np.asarray(json.loads(raw_data)["data"], dtype=np.float32)
    hidden = np.tanh(np.tanh(x @ weights["w1"]) @ weights["w2"])
    return (hidden @ weights["readout"]).argmax(axis=1).tolist()
