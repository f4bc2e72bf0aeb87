"""SDK v1 style with model data collection (a no-op outside Azure)."""

import json

from azureml.core.model import Model
from azureml.monitoring import ModelDataCollector

collectors = {}


def init():
    collectors["inputs"] = ModelDataCollector("iris", designation="inputs", feature_names=["a"])
    collectors["outputs"] = ModelDataCollector("iris", identifier="predictions")
    collectors["model"] = Model.get_model_path("iris")


def run(raw_data):
    data = json.loads(raw_data)["data"]
    correlation = collectors["inputs"].collect(data)
    result = [sum(row) for row in data]
    collectors["outputs"].collect(result, correlation)
    return {"result": result, "correlation": correlation}
