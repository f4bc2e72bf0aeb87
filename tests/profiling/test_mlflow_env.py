"""An MLflow model served in its own environment (``env_manager="virtualenv"``, the
default): built with uv from its requirements.txt and python_env.yaml, really from the
package index, once per module (the profile builds it; later tests find it cached)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from servesize.profiling import _service
from servesize.profiling._mlflow import completed_note
from servesize.profiling.settings import ProfileSettings
from servesize.sdk import profile
from servesize.sdk._resolve import profile_request
from servesize.workspace import Store

from .mlflow_helpers import COLUMNS, ROW, answers_as_mlflow_models_serve
from .quick import ONE_CAPACITY_STEP

mlflow = pytest.importorskip("mlflow", reason="the mlflow extra is not installed")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.mlflow,
    pytest.mark.network,
    pytest.mark.usefixtures("no_leftovers"),
]

# mlflow-skinny, not mlflow: a small build, and servesize must add pandas (not pinned
# here), uvicorn and FastAPI for the scoring server; the versions are those installed
# beside servesize, so the answers compare with `mlflow models serve` exactly
SAVE = """
import sys
import cloudpickle, mlflow, numpy, sklearn
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
X, y = load_diabetes(return_X_y=True, as_frame=True)
model = Ridge().fit(X, y)
pins = [f"mlflow-skinny=={mlflow.__version__}", f"scikit-learn=={sklearn.__version__}",
        f"cloudpickle=={cloudpickle.__version__}", f"numpy=={numpy.__version__}"]
mlflow.sklearn.save_model(model, sys.argv[1], signature=infer_signature(X, model.predict(X)),
                          serialization_format="cloudpickle", pip_requirements=pins)
"""
FAST: dict[str, Any] = {
    **ONE_CAPACITY_STEP,
    "min_duration": 2.0,
    "min_queries": 20,
    "confirm": False,
    "startup_timeout": 120.0,
    "sizing": False,  # tested in tests/profiling/test_sizing_runs.py
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("mlflow-env")
    model = folder / "diabetes-model"
    subprocess.run([sys.executable, "-c", SAVE, str(model)], check=True, timeout=120)
    store = Store.open(folder / "ws")
    store.models.register("diabetes", model)
    rows = [json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [ROW]}})] * 10
    store.datasets.register("rows", rows)
    return store


@pytest.fixture(scope="module")
def profiled(store: Store) -> dict[str, Any]:
    """The details of a profile with the default env-manager: it builds the environment."""
    result = profile(store, "in-env", ["diabetes"], None, "rows", cpu=1.0, **FAST)
    result.wait_for_completion(timeout=400)
    details = result.get_details()
    assert result.state == "Succeeded", (details.get("error"), result.log_path)
    return details


@pytest.mark.untimed
def test_the_profile_builds_the_models_environment_and_says_so(profiled: dict[str, Any]) -> None:
    figure = profiled["environment"]
    assert figure["name"] == "MLflow model diabetes:1"
    assert figure["isolated"] is True
    assert figure["cached"] is False
    assert figure["buildSeconds"] > 0
    assert figure["firstStartSeconds"] > 0
    assert figure["pythonVersion"] == platform.python_version()
    packages = {line.split("==")[0].lower() for line in figure["packages"]}
    assert f"mlflow-skinny=={mlflow.__version__}" in figure["packages"]
    assert {"pandas", "uvicorn", "fastapi", "scikit-learn"} <= packages
    # the scoring host's packages are servesize's, not MLflow's server's
    assert figure["hostRequirements"] == []
    assert "httptools" not in packages
    note = profiled["environmentNote"]
    assert note.startswith(
        "env-manager virtualenv: the MLflow model was served in an environment built "
        f"with uv from its requirements.txt with Python {platform.python_version()} "
        "(from python_env.yaml); built by this profile in "
    )
    assert "missingRequirements" not in profiled
    assert profiled["settings"]["env_manager"] == "virtualenv"
    assert profiled["successRate"] == 1.0


def _mapped_files(pid: int) -> set[str]:
    """The files the service's processes have mapped (its interpreter's libraries and
    every compiled extension it imported)."""
    root = psutil.Process(pid)
    paths: set[str] = set()
    for proc in [root, *root.children(recursive=True)]:
        paths |= {m.path for m in proc.memory_maps() if m.path.startswith("/")}
    return paths


@pytest.mark.untimed
def test_it_runs_in_that_environment_and_answers_as_mlflow_models_serve(
    store: Store, profiled: dict[str, Any], tmp_path: Path
) -> None:
    request = profile_request(
        store, name="diff", models=["diabetes"], inference_config=None, dataset="rows",
        cpu=None, memory_gb=None, description=None, settings=ProfileSettings(cgroups=False),
    )  # fmt: skip
    built = _service.prepare_environment(store, request)
    assert built.cached is True
    assert built.key == profiled["environment"]["cacheKey"]
    assert "reused from the workspace's cache" in str(completed_note("n", built))
    workdir, _ = _service.prepare_inputs(store, request)
    ours, url = _service.launch_service(
        request, workdir, tmp_path / "ours.log", None, None, None, built
    )
    copy = store.models.download("diabetes", tmp_path / "copy")
    try:
        port = int(url.rsplit(":", 1)[1])
        answers_as_mlflow_models_serve(port, lambda: ours.poll() is None, copy, tmp_path)
        # the service imported scikit-learn and pandas from the built environment
        # and nothing from servesize's own
        assert built.path is not None
        assert ours.pid is not None
        mapped = _mapped_files(ours.pid)
        site = f"{built.path}/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"
        assert any(p.startswith(f"{site}/sklearn/") for p in mapped)
        assert any(p.startswith(f"{site}/pandas/") for p in mapped)
        assert not [p for p in mapped if p.startswith(sys.prefix + "/")]
    finally:
        ours.stop()
