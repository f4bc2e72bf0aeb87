"""The bundled example end to end: train, register with demo.prepare, serve in-process."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from servesize import Workspace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ModuleType]]:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    modules = {name: importlib.import_module(name) for name in ("train", "demo", "score")}
    yield modules
    for name in modules:
        sys.modules.pop(name, None)


def test_sample_requests_are_many_and_varied() -> None:
    bodies = (EXAMPLES / "sample-requests.txt").read_text().splitlines()
    assert len(bodies) >= 100
    sizes = {len(json.loads(b)["data"]) for b in bodies}
    assert min(sizes) == 1
    assert max(sizes) >= 10
    assert all(len(row) == 10 for b in bodies for row in json.loads(b)["data"])


def test_inference_config_json_loads() -> None:
    from servesize import InferenceConfig

    config = InferenceConfig.from_file(EXAMPLES / "inference-config.json")
    assert config.entry_script_path == EXAMPLES / "score.py"
    assert config.environment is not None


def test_demo_prepare_registers_a_model_that_score_py_serves(
    examples: dict[str, ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_file, r2 = examples["train"].train(tmp_path / "model" / "model.joblib")
    assert r2 > 0  # better than predicting the mean
    monkeypatch.setattr(examples["demo"], "MODEL_FILE", model_file)
    workspace = Workspace(tmp_path / "ws")
    model_ids, dataset_id, config = examples["demo"].prepare(workspace)
    assert (model_ids, dataset_id) == (["diabetes-forest:1"], "diabetes-requests:1")
    assert config.environment.environment_variables == {"OMP_NUM_THREADS": "1"}
    model_dir = workspace.store.models.materialize(model_ids, tmp_path / "azureml-models")
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(model_dir))
    score = examples["score"]
    score.init()
    for body in workspace.store.datasets.rows(dataset_id):
        predictions = score.run(body)
        assert len(predictions) == len(json.loads(body)["data"])
        assert all(isinstance(p, float) for p in predictions)
    with pytest.raises(ValueError, match="10 features"):
        score.run('{"data": [[1, 2]]}')
