"""Preparing an MLflow model's own environment (``env_manager="virtualenv"``).

An sklearn model saved with ``mlflow.sklearn.save_model`` as a user would (its
``requirements.txt`` names ``mlflow==<version>``, the full package) is registered in a
new workspace; its profile request is resolved and its environment prepared as a
profile does (``_service.prepare_environment``):

- cold: a new workspace, so an empty uv cache (every wheel downloaded);
- warm uv cache: the environment removed, the uv cache kept;
- cached: the built environment found again (what every later profile pays).

    .venv/bin/python bench/mlflow_env.py [--skinny]

``--skinny`` saves the model with ``mlflow-skinny`` instead (what the tests build).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import uptime

from servesize.environments import EnvironmentCache
from servesize.profiling import _service
from servesize.profiling.request import ProfileRequest
from servesize.profiling.settings import ProfileSettings
from servesize.sdk._resolve import profile_request
from servesize.workspace import Store

SAVE = """
import sys
import mlflow.sklearn
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
X, y = load_diabetes(return_X_y=True, as_frame=True)
extra = {}
if sys.argv[2] == "skinny":
    import cloudpickle, mlflow, pandas, sklearn
    extra["pip_requirements"] = [
        f"mlflow-skinny=={mlflow.__version__}", f"scikit-learn=={sklearn.__version__}",
        f"cloudpickle=={cloudpickle.__version__}", f"pandas=={pandas.__version__}",
    ]
mlflow.sklearn.save_model(Ridge().fit(X, y), sys.argv[1], serialization_format="cloudpickle",
                          **extra)
"""


def _timed(store: Store, request: ProfileRequest) -> tuple[float, bool | None, int]:
    started = time.monotonic()
    built = _service.prepare_environment(store, request)
    return time.monotonic() - started, built.cached, len(built.packages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skinny", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-env-") as tmp:
        scratch = Path(tmp)
        model = scratch / "model"
        kind = "skinny" if args.skinny else "full"
        subprocess.run([sys.executable, "-c", SAVE, str(model), kind], check=True,
                       capture_output=True)  # fmt: skip
        store = Store.open(scratch / "ws")
        store.models.register("m", model)
        store.datasets.register("rows", ["{}"])
        request = profile_request(
            store, name="bench", models=["m"], inference_config=None, dataset="rows",
            cpu=None, memory_gb=None, description=None, settings=ProfileSettings(),
        )  # fmt: skip
        assert request.environment is not None
        print("load before:", uptime())
        print("requirements:", ", ".join(request.environment.pip_requirements))
        cold = _timed(store, request)
        cache = EnvironmentCache(store.root / "envs")
        cached = _timed(store, request)
        for entry in cache.entries():
            cache.remove(entry.key)
        warm = _timed(store, request)
        print("load after:", uptime())
        result = {
            "model": kind,
            "coldSeconds": round(cold[0], 2),
            "packages": cold[2],
            "cachedSeconds": round(cached[0], 3),
            "cachedWasCached": cached[1],
            "warmUvCacheSeconds": round(warm[0], 2),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
