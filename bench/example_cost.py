"""CPU per request of the bundled example under different scikit-learn versions.

Each requirement set is built with servesize's environment builder; inside it the
example model is trained (examples/train.py) and ``score.run`` is called on every
sample request, timing CPU per call (no HTTP: the model's own cost). Prints a
Markdown table.

    .venv/bin/python bench/example_cost.py "scikit-learn==1.9.1" "scikit-learn==1.5.2"
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from servesize.environments import BuildSpec, EnvironmentCache

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

_PROBE = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from threadpoolctl import threadpool_info
import numpy, sklearn, joblib
from train import train
model_dir = sys.argv[2]
from pathlib import Path; train(Path(model_dir) / "model.joblib")
os.environ["AZUREML_MODEL_DIR"] = model_dir
import score
score.init()
rows = [line for line in open(sys.argv[3]) if line.strip()]
for row in rows:  # warm-up
    score.run(row)
passes = 5
started = time.process_time()
for _ in range(passes):
    for row in rows:
        score.run(row)
cpu_ms = (time.process_time() - started) / (passes * len(rows)) * 1000
blas = [(i.get("internal_api"), i.get("architecture")) for i in threadpool_info()]
print(json.dumps({"sklearn": sklearn.__version__, "numpy": numpy.__version__,
                  "joblib": joblib.__version__, "cpuMsPerRequest": round(cpu_ms, 3),
                  "blas": blas}))
"""


def probe(python: str, env: dict[str, str]) -> dict[str, object]:
    """Train the example model with ``python`` (an environment's interpreter, which
    needs threadpoolctl) and time ``score.run`` on every sample request in it."""
    with tempfile.TemporaryDirectory() as model_dir:
        done = subprocess.run(
            [python, "-c", _PROBE, str(EXAMPLES), model_dir, str(EXAMPLES / "sample-requests.txt")],
            env={**env, "OMP_NUM_THREADS": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(requirements: list[str], cache: EnvironmentCache) -> dict[str, object]:
    built = cache.prepare(BuildSpec("bench", None, (*requirements, "threadpoolctl")))
    result = probe(str(built.python), built.launch_env(os.environ, {}))
    result["buildSeconds"] = round(built.build_seconds, 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", help="a requirement set, lines separated by ';;'")
    parser.add_argument("--workspace", default=os.environ.get("SERVESIZE_WORKSPACE", ".servesize"))
    args = parser.parse_args()
    cache = EnvironmentCache(Path(args.workspace) / "envs")
    print("| requirements | scikit-learn | numpy | joblib | CPU ms / request | BLAS |")
    print("|---|---|---|---|---:|---|")
    for spec in args.specs:
        lines = [line.strip() for line in spec.split(";;") if line.strip()]
        r = measure(lines, cache)
        print(
            f"| `{' '.join(lines)}` | {r['sklearn']} | {r['numpy']} | {r['joblib']} "
            f"| {r['cpuMsPerRequest']} | {r['blas']} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
