"""MLflow models: registered with their flavors and signature, served without an entry
script exactly as ``mlflow models serve`` serves them (differential test against it),
and profiled end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from servesize.errors import InvalidInputError
from servesize.profiling import _service
from servesize.profiling.settings import ProfileSettings
from servesize.sdk import profile
from servesize.sdk._resolve import profile_request
from servesize.workspace import Store

from .mlflow_helpers import COLUMNS, ROW, SAVE_DIABETES, answers_as_mlflow_models_serve

pytest.importorskip("mlflow", reason="the mlflow extra is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.mlflow, pytest.mark.usefixtures("no_leftovers")]


@pytest.fixture(scope="module")
def mlflow_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real MLflow sklearn model trained on the diabetes data scikit-learn ships."""
    folder = tmp_path_factory.mktemp("mlflow") / "diabetes-model"
    subprocess.run([sys.executable, "-c", SAVE_DIABETES, str(folder)], check=True, timeout=120)
    return folder


@pytest.fixture
def store(tmp_path: Path, mlflow_model: Path) -> Store:
    store = Store.open(tmp_path / "ws")
    store.models.register("diabetes", mlflow_model)
    rows = [json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [ROW]}})] * 10
    store.datasets.register("rows", rows)
    return store


def test_register_records_flavors_and_signature(store: Store) -> None:
    props = store.models.get("diabetes").properties
    assert props["mlflowFlavors"] == "python_function,sklearn"
    signature = json.loads(props["mlflowSignature"])
    assert [c["name"] for c in signature["inputs"]] == COLUMNS
    assert signature["outputs"][0]["type"] == "tensor"
    assert props["mlflowVersion"]


def test_the_cli_registers_and_shows_an_mlflow_model(mlflow_model: Path, tmp_path: Path) -> None:
    def cli(*args: str) -> str:
        cmd = [sys.executable, "-m", "servesize", *args, "--workspace", str(tmp_path / "ws")]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    cli("model", "register", "-n", "diabetes", "--path", str(mlflow_model))
    shown = json.loads(cli("model", "show", "-i", "diabetes", "--json"))
    assert shown["properties"]["mlflowFlavors"] == "python_function,sklearn"
    assert "mlflowSignature" in shown["properties"]


def test_a_broken_mlmodel_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: [unclosed\n")
    with pytest.raises(InvalidInputError, match="is not valid YAML"):
        Store.open(tmp_path / "ws").models.register("b", folder)


def test_no_inference_config_needs_an_mlflow_model(store: Store, tmp_path: Path) -> None:
    (tmp_path / "plain.bin").write_bytes(b"w")
    store.models.register("plain", tmp_path / "plain.bin")
    with pytest.raises(InvalidInputError, match="no inference config"):
        profile(store, "p", ["plain"], None, "rows")


def test_servesize_serves_it_as_mlflow_models_serve_does(store: Store, tmp_path: Path) -> None:
    """env-manager local: the same server, servesize's interpreter, the same answers."""
    settings = ProfileSettings(cgroups=False, env_manager="local")
    request = profile_request(
        store, name="diff", models=["diabetes"], inference_config=None, dataset="rows",
        cpu=None, memory_gb=None, description=None, settings=settings,
    )  # fmt: skip
    assert request.environment is None
    workdir, _ = _service.prepare_inputs(store, request)
    ours, url = _service.launch_service(request, workdir, tmp_path / "ours.log", None, None, None)
    copy = store.models.download("diabetes", tmp_path / "copy")
    try:
        port = int(url.rsplit(":", 1)[1])
        answers_as_mlflow_models_serve(port, lambda: ours.poll() is None, copy, tmp_path)
    finally:
        ours.stop()


@pytest.mark.untimed
def test_an_mlflow_model_is_profiled_without_an_entry_script(store: Store) -> None:
    result = profile(
        store, "mlflow", ["diabetes"], None, "rows", cpu=1.0, env_manager="local",
        qps=15.0, arrival="constant", min_duration=3.0, min_queries=30,
        capacity_step_seconds=1.5, stable_windows=2, max_concurrency=1,
        confirm_duration=2.0, startup_timeout=120.0, sizing=False,
    )  # fmt: skip
    result.wait_for_completion(timeout=240)
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["server"]["kind"] == "mlflow"
    assert details["server"]["scorePath"] == "/invocations"
    assert details["successRate"] == 1.0
    assert details["environmentNote"].startswith("env-manager local: ")
    assert "own Python interpreter" in details["environmentNote"]
    assert details["environment"]["isolated"] is False
    assert details["cpuSecondsPerQuery"] > 0
