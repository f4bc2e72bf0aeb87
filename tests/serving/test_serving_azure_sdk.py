"""Entry scripts written against the Azure ML SDK v1 run without Azure (issue 13, item 1).

``Model.get_model_path`` is compared with the real SDK: the same script, the same model
folder, under azmlinfsrv in an environment with ``azureml-core`` and under servesize
without it.  The rest is checked on servesize alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .serving_helpers import (
    AZMLINFSRV,
    SCRIPTS,
    Pairs,
    Server,
    run_to_exit,
    start_servesize,
)

JSON = {"Content-Type": "application/json"}
QUERIES = [
    {"name": "iris"},
    {"name": "iris", "version": 1},
    {"name": "iris", "version": 3},
    {"name": "iris", "version": 7},
    {"name": "iris", "version": "1"},
    {"name": "forest"},
    {"name": "crowded"},
    {"name": "nowhere"},
    {"name": "nowhere", "version": 1},
]


def _azure_models(app: Path) -> Path:
    """Azure's layout: ``azureml-models/<name>/<version>/<one file or folder>``."""
    root = app / "azureml-models"
    for version in (1, 3, 2):
        (root / "iris" / str(version)).mkdir(parents=True)
        (root / "iris" / str(version) / "model.joblib").write_bytes(b"v%d" % version)
    (root / "forest" / "1" / "trees").mkdir(parents=True)
    (root / "forest" / "1" / "trees" / "a.bin").write_bytes(b"a")
    (root / "iris_settings" / "2").mkdir(parents=True)
    (root / "iris_settings" / "2" / "settings.json").write_text('{"C": 0.5, "max_iter": 500}')
    (root / "crowded" / "1").mkdir(parents=True)
    for name in ("x.bin", "y.bin"):
        (root / "crowded" / "1" / name).write_bytes(b"x")
    return root


def _azml_with_sdk() -> str:
    """azmlinfsrv from an environment that has the real ``azureml-core``."""
    exe = os.environ.get("SERVESIZE_AZMLINFSRV_SDK", AZMLINFSRV)
    python = Path(exe).parent / "python"
    found = os.access(exe, os.X_OK) and (
        subprocess.run(
            [str(python), "-c", "import azureml.core, azureml.ai.monitoring"], check=False
        ).returncode
        == 0
    )
    if not found:
        message = f"no azmlinfsrv with azureml-core at {exe} (make test-deps installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return exe


@pytest.fixture(scope="module")
def sdk_pairs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pairs]:
    """(azmlinfsrv with azureml-core, servesize without) per script, on one Azure layout."""
    base = tmp_path_factory.mktemp("sdk")
    app = base / "app"
    env = {"AML_APP_ROOT": str(app), "AZUREML_MODEL_DIR": str(_azure_models(app))}
    pairs = Pairs(base, env, _azml_with_sdk)
    try:
        yield pairs
    finally:
        pairs.close()


def _same_answer(pair: tuple[Server, Server], body: bytes) -> dict[str, object]:
    theirs, ours = pair
    expected = theirs.request("POST", "/score", body, JSON)
    got = ours.request("POST", "/score", body, JSON)
    assert expected.status == got.status == 200
    answer: dict[str, object] = json.loads(got.body)
    assert answer == json.loads(expected.body)
    return answer


@pytest.mark.slow
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "-".join(map(str, q.values())))
def test_get_model_path_as_the_real_sdk(sdk_pairs: Pairs, query: dict[str, object]) -> None:
    _same_answer(sdk_pairs.get("sdk_model_path"), json.dumps(query).encode())


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [b'{"data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}', b'{"data": "x"}', b"{}"],
    ids=["valid", "bad-data", "no-data"],
)
def test_sdk_style_iris_script_as_under_azure(sdk_pairs: Pairs, body: bytes) -> None:
    _same_answer(sdk_pairs.get("sdk_iris"), body)


@pytest.mark.slow
def test_v2_data_collector_as_under_azure(sdk_pairs: Pairs) -> None:
    pair = sdk_pairs.get("sdk_v2_collector")
    first = _same_answer(pair, b'{"data": [[1, 2], [3, 4]]}')
    assert first["result"] == [3, 7]
    assert first["dropped"] == ["custom logging is not enabled, drop the data"]
    assert _same_answer(pair, b'{"data": [[1]], "id": "req-7"}')["id_kept"] is True


@pytest.mark.slow
def test_offline_run_as_under_azure(sdk_pairs: Pairs) -> None:
    pair = sdk_pairs.get("sdk_run_context")
    assert _same_answer(pair, b'{"data": [[1, 2], [3, 4]]}') == {"rows": 2, "offline": True}
    for server in pair:
        assert "Attempted to log scalar metric rows:\n2" in server.log_text()


@pytest.mark.slow
def test_get_model_path_in_servesize_layouts(tmp_path: Path) -> None:
    """servesize's run folder: one model (AZUREML_MODEL_DIR = <root>/<name>/<version>)
    and several (AZUREML_MODEL_DIR = <root>), away from the app root."""
    models = _azure_models(tmp_path / "run")
    app = tmp_path / "app"
    app.mkdir()
    for model_dir, expected in ((models / "iris" / "3", "3"), (models, "3")):
        env = {"AML_APP_ROOT": str(app)}
        server = start_servesize(
            SCRIPTS / "sdk_model_path.py", tmp_path / expected, env, ["--model-dir", str(model_dir)]
        )
        try:
            reply = server.request("POST", "/score", b'{"name": "iris", "version": 1}', JSON)
            answer = json.loads(reply.body)
            assert (app / answer["path"]).resolve() == models / "iris" / "1" / "model.joblib"
            assert (app / answer["init"]).resolve() == models / "iris" / "3" / "model.joblib"
        finally:
            server.stop()


@pytest.mark.slow
def test_offline_run_logs_to_the_service_log(tmp_path: Path) -> None:
    server = start_servesize(SCRIPTS / "sdk_run_context.py", tmp_path)
    try:
        reply = server.request("POST", "/score", b'{"data": [[1, 2], [3, 4]]}', JSON)
        assert json.loads(reply.body) == {"rows": 2, "offline": True}
    finally:
        server.stop()
    log = server.log_text()
    assert "Attempted to log scalar metric init_done:\n1" in log
    assert "Attempted to log scalar metric rows:\n2" in log
    assert "Attempted to log list metric first:\n[1, 2]" in log
    assert "Attempted to add tag stage with value scoring" in log


@pytest.mark.slow
def test_model_data_collector_collects_nothing(tmp_path: Path) -> None:
    models = _azure_models(tmp_path / "app")
    env = {"AML_APP_ROOT": str(tmp_path / "app"), "AZUREML_MODEL_DIR": str(models)}
    server = start_servesize(SCRIPTS / "sdk_collector.py", tmp_path / "run", env)
    try:
        reply = server.request("POST", "/score", b'{"data": [[1, 2], [3, 4]]}', JSON)
        assert json.loads(reply.body) == {"result": [3, 7], "correlation": None}
    finally:
        server.stop()
    assert server.log_text().count("Data collection is not enabled") == 1


def test_sdk_names_import_and_a_real_install_wins(tmp_path: Path) -> None:
    real = tmp_path / "site" / "azureml" / "core"
    real.mkdir(parents=True)
    (real.parent / "__init__.py").write_text("")
    (real / "__init__.py").write_text("")
    (real / "model.py").write_text("class Model:\n    REAL = True\n")
    source = (
        "import sys\n"
        "from servesize.serving import _shims\n"
        "_shims.install()\n"
        "from azureml.core import Model, Run, Workspace\n"
        "from azureml.core.model import Model as M2\n"
        "from azureml.core.run import Run as R2\n"
        "from azureml.monitoring import ModelDataCollector\n"
        "from azureml.ai.monitoring import Collector\n"
        "from azureml.ai.monitoring.context import BasicCorrelationContext\n"
        "from azureml.exceptions import WebserviceException, ModelNotFoundException\n"
        "assert Model is M2 and Run is R2\n"
        "try:\n"
        "    Workspace.from_config()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "for name in [m for m in sys.modules if m.startswith('azureml')]:\n"
        "    del sys.modules[name]\n"
        "from azureml.core.model import Model\n"
        "print(Model.REAL)\n"
    )
    code, out, err = run_to_exit([sys.executable, "-c", source, str(tmp_path / "site")], tmp_path)
    assert code == 0, err
    assert out.split() == ["UserErrorException", "True"]
