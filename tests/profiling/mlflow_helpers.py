"""What the MLflow tests share: the model's columns and row, requests covering every
input format of ``mlflow models serve``, and starting/calling servers on loopback."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
ROW = [0.03, 0.05, 0.06, 0.02, -0.04, -0.03, -0.04, -0.002, 0.02, -0.01]
SAVE_DIABETES = """
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(port: int, method: str, path: str, body: bytes = b"", ctype: str = "") -> Any:
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


def wait_ping(port: int, proc_alive: Any) -> None:
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


def mlflow_models_serve(model: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``mlflow models serve --env-manager local`` with servesize's interpreter."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model),
             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def answers_as_mlflow_models_serve(ours_port: int, alive: Any, model: Path, logs: Path) -> None:
    """Start ``mlflow models serve`` on ``model`` and assert that the server on
    ``ours_port`` (``alive()`` while it runs) answers every request in ``REQUESTS``
    exactly as it does; stops it."""
    theirs_port = free_port()
    theirs = mlflow_models_serve(model, theirs_port, logs / "theirs.log")
    try:
        wait_ping(ours_port, alive)
        wait_ping(theirs_port, lambda: theirs.poll() is None)
        for method, path, body, ctype in REQUESTS:
            mine = call(ours_port, method, path, body, ctype)
            reference = call(theirs_port, method, path, body, ctype)
            assert mine == reference, (method, path, body[:60])
        status, data = call(ours_port, *REQUESTS[3][:2], REQUESTS[3][2], REQUESTS[3][3])
        assert status == 200
        assert len(data["predictions"]) == 2
    finally:
        os.killpg(theirs.pid, 15)
        theirs.wait(30)
