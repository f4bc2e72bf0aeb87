"""SDK v1 style (MLOpsPython-like): the model's settings come from a registered file
found with Model.get_model_path; init() fits it on the iris data scikit-learn ships."""

import json

import numpy as np
from azureml.core.model import Model
from azureml.core.run import Run
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

model = None


def init():
    global model
    with open(Model.get_model_path(model_name="iris_settings")) as handle:
        settings = json.load(handle)
    iris = load_iris()
    model = LogisticRegression(C=settings["C"], max_iter=settings["max_iter"])
    model.fit(iris.data, iris.target)
    Run.get_context().log("model_loaded", settings["C"])


def run(raw_data):
    try:
        data = np.array(json.loads(raw_data)["data"], dtype=float)
        result = model.predict(data)
        return {"result": result.tolist()}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
