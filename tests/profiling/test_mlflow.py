"""MLflow models: registered with their flavors and signature, served without an entry
script exactly as ``mlflow models serve`` serves them (differential test against it),
and profiled end to end."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from servesize.errors import InvalidInputError
from servesize.profiling import _service
from servesize.profiling.settings import ProfileSettings
from servesize.sdk import profile
from servesize.sdk._resolve import profile_request
from servesize.workspace import Store

pytest.importorskip("mlflow", reason="the mlflow extra is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.mlflow, pytest.mark.usefixtures("no_leftovers")]

COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
ROW = [0.03, 0.05, 0.06, 0.02, -0.04, -0.03, -0.04, -0.002, 0.02, -0.01]
BUILD = """
import sys
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
X, y = load_diabetes(return_X_y=True, as_frame=True)
model = Ridge().fit(X, y)
mlflow.sklearn.save_model(model, sys.argv[1], signature=infer_signature(X, model.predict(X)),
                          serialization_format="cloudpickle")
"""


@pytest.fixture(scope="module")
def mlflow_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real MLflow sklearn model trained on the diabetes data scikit-learn ships."""
    folder = tmp_path_factory.mktemp("mlflow") / "diabetes-model"
    subprocess.run([sys.executable, "-c", BUILD, str(folder)], check=True, timeout=120)
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


# -- the same server as `mlflow models serve` ------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(port: int, method: str, path: str, body: bytes = b"", ctype: str = "") -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": ctype} if ctype else {})
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return response.status, text.strip()
    if isinstance(data, dict):
        data.pop("stack_trace", None)  # file paths and line numbers differ by design
    return response.status, data


def _wait(port: int, proc_alive: Any) -> None:
    from servesize.profiling._probe import http_ok

    while not http_ok(f"http://127.0.0.1:{port}/ping", timeout=1.0):
        assert proc_alive(), "the server exited before it answered /ping"


REQUESTS: list[tuple[str, str, bytes, str]] = [
    ("GET", "/ping", b"", ""),
    ("GET", "/health", b"", ""),
    ("GET", "/version", b"", ""),
    (
        "POST",
        "/invocations",
        json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [ROW, ROW]}}).encode(),
        "application/json",
    ),
    (
        "POST",
        "/invocations",
        json.dumps({"dataframe_records": [dict(zip(COLUMNS, ROW, strict=True))]}).encode(),
        "application/json",
    ),
    (
        "POST",
        "/invocations",
        json.dumps({"instances": [dict(zip(COLUMNS, ROW, strict=True))]}).encode(),
        "application/json",
    ),
    (
        "POST",
        "/invocations",
        json.dumps({"inputs": {c: [v] for c, v in zip(COLUMNS, ROW, strict=True)}}).encode(),
        "application/json",
    ),
    (
        "POST",
        "/invocations",
        (",".join(COLUMNS) + "\n" + ",".join(map(str, ROW))).encode(),
        "text/csv",
    ),
    ("POST", "/invocations", b"{not json", "application/json"),
    (
        "POST",
        "/invocations",
        b'{"dataframe_split": {"columns": ["x"], "data": [[1]]}}',
        "application/json",
    ),
    ("POST", "/invocations", b"{}", "text/plain"),
    ("GET", "/nothing", b"", ""),
]


def test_servesize_serves_it_as_mlflow_models_serve_does(store: Store, tmp_path: Path) -> None:
    request = profile_request(
        store, name="diff", models=["diabetes"], inference_config=None, dataset="rows",
        cpu=None, memory_gb=None, description=None, settings=ProfileSettings(cgroups=False),
    )  # fmt: skip
    workdir, _ = _service.prepare_inputs(store, request)
    ours, url = _service.launch_service(request, workdir, tmp_path / "ours.log", None, None, None)
    theirs_port = _free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    copy = store.models.download("diabetes", tmp_path / "copy")
    with (tmp_path / "theirs.log").open("wb") as log:
        theirs = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(copy),
             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(theirs_port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        ours_port = int(url.rsplit(":", 1)[1])
        _wait(ours_port, lambda: ours.poll() is None)
        _wait(theirs_port, lambda: theirs.poll() is None)
        for method, path, body, ctype in REQUESTS:
            mine = _call(ours_port, method, path, body, ctype)
            reference = _call(theirs_port, method, path, body, ctype)
            assert mine == reference, (method, path, body[:60])
        status, data = _call(ours_port, *REQUESTS[3][:2], REQUESTS[3][2], REQUESTS[3][3])
        assert status == 200
        assert len(data["predictions"]) == 2
    finally:
        ours.stop()
        os.killpg(theirs.pid, 15)
        theirs.wait(30)


def test_an_mlflow_model_is_profiled_without_an_entry_script(store: Store) -> None:
    result = profile(
        store, "mlflow", ["diabetes"], None, "rows", cpu=1.0,
        qps=15.0, arrival="constant", min_duration=3.0, min_queries=30,
        capacity_step_seconds=2.0, stable_windows=2, max_concurrency=2,
        confirm_duration=2.0, startup_timeout=120.0,
    )  # fmt: skip
    result.wait_for_completion(timeout=240)
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["server"]["kind"] == "mlflow"
    assert details["server"]["scorePath"] == "/invocations"
    assert details["successRate"] == 1.0
    assert "own Python interpreter" in details["environmentNote"]
    assert details["cpuSecondsPerQuery"] > 0
