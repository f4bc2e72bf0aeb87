"""``--format azureml``: every YAML written is loaded by the real ``azure-ai-ml``
(``load_online_deployment``, offline); its schema failing is this test failing."""

from __future__ import annotations

import math
import re
import shlex
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from servesize.deploy import DeployOptions
from servesize.errors import ProfileError
from servesize.report import ProfileView, render, with_deployment

from .conftest import PLAN, REQUEST, details

#: Azure's naming rule for deployments and endpoints (how-to-manage-quotas)
NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")


def load(path: Path) -> Any:
    with warnings.catch_warnings():
        # azure-ai-ml's schemas warn about marshmallow 4 on import; not ours to fix
        warnings.simplefilter("ignore")
        from azure.ai.ml import load_online_deployment

        return load_online_deployment(source=path)


def _view(tmp_path: Path, name: str = "diabetes-300", **changes: Any) -> ProfileView:
    source = tmp_path / "app"
    source.mkdir(exist_ok=True)
    (source / "score.py").write_text("def init(): pass\ndef run(data): return data\n")
    request = {**REQUEST, "sourceDirectory": str(source), "entryScript": str(source / "score.py")}
    return ProfileView(name, "Succeeded", details(**changes), {"request": request})


def _write(tmp_path: Path, view: ProfileView) -> tuple[str, Path]:
    text = render(view, "azureml")
    path = tmp_path / "deployment.yml"
    path.write_text(text)
    return text, path


def test_the_deployment_loads_with_azure_ai_ml_and_carries_what_was_measured(
    tmp_path: Path,
) -> None:
    view = _view(tmp_path)  # stored before servesize chose a SKU: computed when rendered
    text, path = _write(tmp_path, view)
    loaded = load(path)
    body = yaml.safe_load(text)
    assert type(loaded).__name__ == "ManagedOnlineDeployment"
    assert loaded.instance_type == body["instance_type"] == "Standard_F4s_v2"
    assert loaded.instance_count == body["instance_count"]
    workers = int(loaded.environment_variables["WORKER_COUNT"])
    assert loaded.request_settings.max_concurrent_requests_per_instance == workers
    # the target by the profile's own figures: instances x workers x 100/s a worker
    assert loaded.instance_count * workers * 100.0 >= 300.0
    variables = loaded.environment_variables
    assert all(isinstance(v, str) for v in variables.values())
    for thread_variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert variables[thread_variable] == "1"  # the sizing's, over the environment's 4
    assert variables["MY_FLAG"] == "on"  # a v1 environment's variables move here in v2
    # Azure's bounds; 3 x the slowest request (80 ms) is below the 1 s floor
    assert loaded.request_settings.request_timeout_ms == 1000
    assert loaded.liveness_probe.initial_delay == math.ceil(2 * 1.4)
    assert loaded.readiness_probe.initial_delay >= 1
    assert str(loaded.model).endswith("diabetes-forest:3")
    assert str(loaded.environment).endswith("diabetes-sklearn:2")
    assert loaded.code_configuration.scoring_script == "score.py"
    assert NAME.match(body["name"])
    assert NAME.match(body["endpoint_name"])
    header = text.split("$schema")[0]
    assert "quota: ceil(1.2 x 1) x 4 vCPUs = 8 cores" in header
    assert "AMD EPYC 7763" in header
    assert "NOT measured: 3 workers together" in header
    assert "request_timeout_ms 1000 = 3 x the slowest request measured (80 ms)" in header


def test_with_a_traffic_plan_and_prices_it_carries_autoscale_and_cost(tmp_path: Path) -> None:
    view = _view(tmp_path, "Weird name!!/..", **PLAN)
    options = DeployOptions.parse(prices=["core-hour=0.05", "gb-hour=0.005"])
    planned = with_deployment(view, options)
    text, path = _write(tmp_path, planned)
    loaded = load(path)
    assert NAME.match(loaded.name)
    commands = [
        shlex.split(line[2:])
        for line in text.splitlines()
        if line.startswith("# az monitor autoscale")
    ]
    scale = planned.details["deployment"]["autoscale"]
    assert len(commands) == 3
    create = commands[0]
    assert create[create.index("--min-count") + 1] == str(scale["minInstances"])
    assert create[create.index("--max-count") + 1] == str(scale["maxInstances"])
    out = commands[1]
    assert out[out.index("--condition") + 1] == (
        f"CpuUtilizationPercentage > {scale['scaleOutAboveCpuPercent']} avg 5m"
    )
    assert "# cost, per million requests at 300 requests/s" in text
    assert "# cost, per day of the traffic plan" in text


def test_nothing_to_deploy_is_one_line(tmp_path: Path) -> None:
    view = _view(tmp_path, sloMet=False, maxQueriesPerSecondWithinSlo=None)
    with pytest.raises(ProfileError, match="has no deployment to export: No SKU carries"):
        render(view, "azureml")


@pytest.mark.parametrize(
    ("changes", "timeout"),
    [
        # the confirmation run's tail under the deployed allocation wins
        ({"confirmation": {"held": True, "latencyPercentile999InMs": 700.0}}, 2100),
        ({"confirmation": {"held": True, "latencyPercentile99InMs": 1234.0}}, 3800),
        # an overloaded measurement alone: its slowest request, within Azure's maximum
        ({"maxLatencyInMs": 90_000.0}, 180_000),
        ({"confirmation": {"held": False, "latencyPercentile99InMs": 5.0}}, 1000),
    ],
)
def test_the_timeout_is_three_times_the_deployed_tail_within_azure_bounds(
    tmp_path: Path, changes: dict[str, Any], timeout: int
) -> None:
    body = yaml.safe_load(render(_view(tmp_path, **changes), "azureml"))
    assert body["request_settings"]["request_timeout_ms"] == timeout
