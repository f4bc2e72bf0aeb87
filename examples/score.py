"""An Azure ML-style entry script for the diabetes model.

``init()`` loads the model from ``AZUREML_MODEL_DIR`` (the folder the model was
registered into), ``run(raw_data)`` takes ``{"data": [[10 features], ...]}`` and
returns one prediction per row.
"""

import json
import os

import joblib
import numpy as np

model = None


def init():
    global model
    model_path = os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.joblib")
    model = joblib.load(model_path)


def run(raw_data):
    rows = np.asarray(json.loads(raw_data)["data"], dtype=float)
    if rows.ndim != 2 or rows.shape[1] != 10:
        raise ValueError(f"expected rows of 10 features, got shape {rows.shape}")
    return model.predict(rows).tolist()
