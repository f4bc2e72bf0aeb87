"""BLAS-heavy numpy: random features (64 -> 2048 -> 2048, tanh) with a ridge readout,
fitted in closed form on the digits data.  Each request of 32 rows costs about
0.3 GFLOP of matrix products, so BLAS threads decide its speed.

``build(out)`` writes ``out/weights.npz``; ``requests`` makes ``{"data": [[64], ...]}``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

WIDTH = 2048


def _hidden(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    return np.tanh(np.tanh(x @ w1) @ w2)


def build(out: Path) -> Path:
    features, labels = load_digits(return_X_y=True)
    x = (features / 16.0).astype(np.float32)
    rng = np.random.default_rng(0)
    w1 = (rng.standard_normal((64, WIDTH)) / 8).astype(np.float32)
    w2 = (rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype(np.float32)
    h = _hidden(x, w1, w2)
    targets = np.eye(10, dtype=np.float32)[labels]
    readout = np.linalg.solve(h.T @ h + 1.0 * np.eye(WIDTH, dtype=np.float32), h.T @ targets)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "weights.npz", w1=w1, w2=w2, readout=readout.astype(np.float32))
    return out / "weights.npz"


def requests(count: int = 100, seed: int = 7) -> list[str]:
    features = load_digits().data
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        rows = [(features[rng.randrange(len(features))] / 16).round(4).tolist() for _ in range(32)]
        bodies.append(json.dumps({"data": rows}, separators=(",", ":")))
    return bodies
