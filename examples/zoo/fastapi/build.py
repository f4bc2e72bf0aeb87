"""FastAPI: the bundled scikit-learn forest (examples/train.py) behind a FastAPI app,
started with ``--server-cmd`` — the same model as the score.py example, another server.

``build(out)`` writes ``out/model.joblib``; the requests are the example's.
"""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2]


def build(out: Path) -> Path:
    sys.path.insert(0, str(EXAMPLES))
    try:
        from train import train
    finally:
        sys.path.remove(str(EXAMPLES))
    path, _ = train(out / "model.joblib")
    return path


def requests(count: int = 100, seed: int = 7) -> list[str]:
    lines = (EXAMPLES / "sample-requests.txt").read_text(encoding="utf-8").splitlines()
    return lines[:count]
