"""LightGBM: gradient-boosted trees on the breast-cancer data scikit-learn ships.

``build(out)`` trains 200 trees and writes ``out/model.txt`` (LightGBM's text format);
``requests(count, seed)`` makes request bodies ``{"data": [[30 features], ...]}``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import lightgbm as lgb
from sklearn.datasets import load_breast_cancer


def build(out: Path) -> Path:
    features, labels = load_breast_cancer(return_X_y=True)
    params = {"objective": "binary", "num_leaves": 31, "verbose": -1, "num_threads": 1}
    booster = lgb.train(params, lgb.Dataset(features, labels), num_boost_round=200)
    out.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(out / "model.txt"))
    return out / "model.txt"


def requests(count: int = 100, seed: int = 7) -> list[str]:
    features = load_breast_cancer().data
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        rows = [features[rng.randrange(len(features))].round(4).tolist() for _ in range(8)]
        bodies.append(json.dumps({"data": rows}, separators=(",", ":")))
    return bodies
