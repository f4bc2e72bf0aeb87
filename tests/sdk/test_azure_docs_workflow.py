"""Microsoft's "Profile your model to determine resource utilization" (SDK v1) notebook,
run nearly verbatim: only ``from azureml.core import ...`` became ``from servesize import ...``
and the profile settings are shortened so it runs in seconds."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import joblib
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

SCORE_PY = textwrap.dedent(
    """
    import json
    import os

    import joblib
    import numpy as np


    def init():
        global model
        model_path = os.path.join(os.getenv('AZUREML_MODEL_DIR'), 'model.pkl')
        model = joblib.load(model_path)


    def run(raw_data):
        data = np.array(json.loads(raw_data)['data'])
        result = model.predict(data)
        return result.tolist()
    """
)

SHORT: dict[str, Any] = {
    "min_duration": 3,
    "min_queries": 30,
    "capacity_step_seconds": 1.5,
    "stable_windows": 1,
    "max_concurrency": 1,
    "confirm_duration": 2,
    # the sizing search runs, as in the documented call; short trials keep it quick
    "trial_duration": 2,
    "trial_max_seconds": 3,
    "max_trials": 3,
}


@pytest.mark.slow
@pytest.mark.untimed
def test_the_documented_profiling_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SERVESIZE_WORKSPACE", raising=False)
    features, target = load_diabetes(return_X_y=True)
    joblib.dump(Ridge().fit(features, target), "model.pkl")
    Path("score.py").write_text(SCORE_PY)

    # --- the notebook, as the documentation shows it -------------------------------------
    from servesize import (
        CondaDependencies,
        Dataset,
        Datastore,
        Environment,
        InferenceConfig,
        Model,
        Workspace,
        dataset_type_definitions,
    )

    ws = Workspace.from_config()

    input_json = {"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]}
    serialized_input_json = json.dumps(input_json)
    dataset_content = "\n".join([serialized_input_json] * 100)
    file_name = "sample_request_data.txt"
    with open(file_name, "w") as f:
        f.write(dataset_content)
    data_store = Datastore.get_default(ws)
    data_store.upload_files(["./" + file_name], target_path="sample_request_data")
    datastore_path = [(data_store, "sample_request_data" + "/" + file_name)]
    sample_request_data = Dataset.Tabular.from_delimited_files(
        datastore_path,
        separator="\n",
        infer_column_types=True,
        header=dataset_type_definitions.PromoteHeadersBehavior.NO_HEADERS,
    )
    sample_request_data = sample_request_data.register(
        workspace=ws, name="sample_request_data", create_new_version=True
    )
    input_dataset = Dataset.get_by_name(workspace=ws, name="sample_request_data")

    model = Model.register(
        model_path="model.pkl",
        model_name="sklearn_regression_model",
        workspace=ws,
        tags={"area": "diabetes", "type": "regression"},
        description="Ridge regression model to predict diabetes",
    )

    myenv = Environment("myenv")
    myenv.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["azureml-defaults", "scikit-learn", "joblib"]
    )
    inference_config = InferenceConfig(entry_script="score.py", environment=myenv)

    profile = Model.profile(
        ws, "unique_name", [model], inference_config, input_dataset=input_dataset, **SHORT
    )
    profile.wait_for_completion(True)
    details = profile.get_details()
    # -------------------------------------------------------------------------------------

    assert "Uploaded 1 files" in capsys.readouterr().out
    assert input_dataset.rows() == [serialized_input_json] * 100
    assert details["state"] == "Succeeded", details.get("error")
    for key in (
        "requestedCpu",
        "requestedMemoryInGB",
        "requestedQueriesPerSecond",
        "maxUtilizedMemoryInGB",
        "maxUtilizedCpu",
        "totalQueries",
        "successQueries",
        "successRate",
        "averageLatencyInMs",
        "latencyPercentile90InMs",
        "measuredQueriesPerSecond",
        "recommendedCpu",
        "recommendedMemoryInGB",
        "name",
        "createdTime",
    ):
        assert key in details, key
    assert details["requestedMemoryInGb"] == details["requestedMemoryInGB"]
    assert details["successRate"] == 1.0
    recorded = profile.serialize()["environment"]
    assert {"scikit-learn", "joblib"} <= set(recorded["pipRequirements"])

    # a later session loads it by name
    from servesize import ModelProfile

    again = ModelProfile(Workspace.from_config(), "unique_name")
    assert again.state == "Succeeded"
    assert again.get_details()["recommendedCpu"] == details["recommendedCpu"]
