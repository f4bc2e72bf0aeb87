"""scikit-learn: the bundled random forest on the diabetes data (examples/train.py),
served by the bundled Azure-style entry script (examples/score.py)."""

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
