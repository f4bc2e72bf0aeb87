"""Entry script: the LightGBM booster, one probability per row (one thread: the
profile sizes CPU, so the model must not take every core it sees)."""

import json
import os

import lightgbm as lgb
import numpy as np

booster = None


def init():
    global booster
    booster = lgb.Booster(model_file=os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.txt"))


def run(raw_data):
    rows = np.asarray(json.loads(raw_data)["data"], dtype=float)
    return booster.predict(rows, num_threads=1).tolist()
