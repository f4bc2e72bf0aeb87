"""Write ``sample-requests.txt``: one request body a line, real rows of the diabetes
data set in batches of 1 to 20 (seeded, so the committed file can be re-made exactly).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from sklearn.datasets import load_diabetes

HERE = Path(__file__).resolve().parent
TARGET = HERE / "sample-requests.txt"


def make(count: int = 120, seed: int = 7) -> list[str]:
    features = load_diabetes().data
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        # Mostly small batches with a tail of larger ones, as real callers send.
        size = min(20, max(1, int(rng.expovariate(1 / 4)) + 1))
        rows = [
            [round(float(v), 6) for v in features[rng.randrange(len(features))]]
            for _ in range(size)
        ]
        bodies.append(json.dumps({"data": rows}, separators=(",", ":")))
    return bodies


if __name__ == "__main__":
    bodies = make()
    TARGET.write_text("\n".join(bodies) + "\n", encoding="utf-8")
    print(f"wrote {len(bodies)} requests to {TARGET.name}")
