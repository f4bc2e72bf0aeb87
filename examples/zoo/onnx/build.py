"""ONNX Runtime: a scikit-learn MLP on the digits data, converted with skl2onnx.

``build(out)`` trains the MLP (64 -> 256 -> 10), converts it and writes
``out/model.onnx``; ``requests`` makes ``{"data": [[64 pixels], ...]}`` bodies.
"""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def build(out: Path) -> Path:
    features, labels = load_digits(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(256,), max_iter=40, random_state=0)
    with warnings.catch_warnings():
        # 40 epochs reach ~99% training accuracy; full convergence only costs build time
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features.astype("float32"), labels)
    onnx_model = to_onnx(model, features[:1].astype("float32"), options={"zipmap": False})
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.onnx").write_bytes(onnx_model.SerializeToString())
    return out / "model.onnx"


def requests(count: int = 100, seed: int = 7) -> list[str]:
    features = load_digits().data
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        rows = [features[rng.randrange(len(features))].tolist() for _ in range(16)]
        bodies.append(json.dumps({"data": rows}, separators=(",", ":")))
    return bodies
