"""A whole profile in a built environment: the script runs there, the details say so."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from servesize.sdk import Environment, InferenceConfig, ModelProfile, profile
from servesize.workspace import Store

from .env_helpers import SIX

pytestmark = [pytest.mark.slow, pytest.mark.network]

SCRIPTS = Path(__file__).parent / "scripts"
FAST: dict[str, Any] = {
    "min_duration": 2.0,
    "min_queries": 20,
    "capacity_step_seconds": 1.5,
    "stable_windows": 2,
    "max_concurrency": 1,
    "confirm": False,
    "warmup_max_seconds": 5.0,
    "request_timeout": 2.0,
    "sizing": False,  # tested in tests/profiling/test_sizing_runs.py
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "ws")
    (tmp_path / "model.bin").write_bytes(b"weights")
    store.models.register("m", tmp_path / "model.bin")
    store.datasets.register("rows", [json.dumps({"data": [[i]]}) for i in range(10)])
    return store


def _profile(store: Store, name: str, env: Environment, probe: Path) -> ModelProfile:
    config = InferenceConfig(
        entry_script=str(SCRIPTS / "uses_six.py"), source_directory=str(SCRIPTS), environment=env
    )
    result = profile(
        store, name, ["m"], config, "rows", extra_env={"PROBE_FILE": str(probe)}, **FAST
    )
    result.wait_for_completion(timeout=240)
    return result


def _six_env() -> Environment:
    env = Environment("six-env")
    env.pip_requirements = [SIX]
    return env


@pytest.mark.untimed
def test_the_script_runs_in_its_environment(store: Store, tmp_path: Path) -> None:
    probe = tmp_path / "seen.json"
    first = _profile(store, "first", _six_env(), probe)
    details = first.get_details()
    assert first.state == "Succeeded", details.get("error")
    seen = json.loads(probe.read_text())
    figure = details["environment"]
    assert seen["six"] == "1.16.0"
    assert seen["numpy"] is False  # servesize's own packages do not leak in
    assert seen["prefix"] == str(store.root / "envs" / figure["cacheKey"])
    assert figure["name"] == "six-env"
    assert figure["cached"] is False
    assert figure["buildSeconds"] > 0
    # a new environment's first start (writes its bytecode) comes before the cold start
    assert figure["firstStartSeconds"] > 0
    assert "six==1.16.0" in figure["packages"]
    assert figure["pythonVersion"] == ".".join(map(str, sys.version_info[:3]))
    assert "missingRequirements" not in details

    again = _profile(store, "again", _six_env(), probe)
    assert again.state == "Succeeded", again.get_details().get("error")
    assert again.get_details()["environment"]["cached"] is True
    assert again.get_details()["environment"]["buildSeconds"] == 0
    assert again.get_details()["environment"]["firstStartSeconds"] is None


@pytest.mark.untimed
def test_user_managed_dependencies_run_servesize_s_interpreter(
    store: Store, tmp_path: Path
) -> None:
    env = _six_env()
    env.python.user_managed_dependencies = True
    result = _profile(store, "managed", env, tmp_path / "seen.json")
    details = result.get_details()
    # six is not installed in servesize's environment: init() fails, and says why
    assert result.state == "Failed"
    assert "six" in details["error"]["message"]
    assert details["environment"]["isolated"] is False
    assert details["missingRequirements"] == [SIX]
    assert not (store.root / "envs").exists() or not any(
        p for p in (store.root / "envs").iterdir() if not p.name.startswith(".")
    )


def test_an_environment_that_cannot_be_built_fails_the_profile_in_one_line(
    store: Store, tmp_path: Path
) -> None:
    env = Environment("broken")
    env.pip_requirements = ["six==99.0"]
    result = _profile(store, "broken", env, tmp_path / "seen.json")
    error = result.get_details()["error"]
    assert result.state == "Failed"
    assert error["type"] == "EnvironmentBuildError"
    assert "there is no version of six==99.0" in error["message"]
    assert "\n" not in error["message"]


def test_a_profile_cancelled_while_its_environment_builds_leaves_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as index:  # accepts connections and never answers: uv waits
        index.bind(("127.0.0.1", 0))
        index.listen(16)
        monkeypatch.setenv("UV_INDEX_URL", f"http://127.0.0.1:{index.getsockname()[1]}/simple")
        monkeypatch.setenv("SERVESIZE_UV_CACHE_DIR", "")  # a cold cache: uv must ask
        config = InferenceConfig(
            entry_script=str(SCRIPTS / "uses_six.py"),
            source_directory=str(SCRIPTS),
            environment=_six_env(),
        )
        result = profile(store, "cancelled", ["m"], config, "rows", **FAST)
        envs = store.root / "envs"
        deadline = time.monotonic() + 60
        while not list(envs.glob(".tmp-*/requirements.txt")):  # uv is running
            assert time.monotonic() < deadline, "the build did not start"
            time.sleep(0.02)
        started = time.monotonic()
        result.cancel()
        result.wait_for_completion(timeout=60)
    assert result.state == "Cancelled"
    assert time.monotonic() - started < 10
    assert list(envs.glob(".tmp-*")) == []
    assert [p for p in envs.iterdir() if not p.name.startswith(".")] == []


@pytest.mark.untimed
def test_a_workspace_named_relative_to_the_current_folder_serves_from_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo`` names its workspace ``.servesize``: the interpreter handed to the
    service (which starts in its own folder) must not be relative to ours."""
    monkeypatch.chdir(tmp_path)
    store = Store.open(Path("relative-ws"))
    (tmp_path / "model.bin").write_bytes(b"weights")
    store.models.register("m", tmp_path / "model.bin")
    store.datasets.register("rows", [json.dumps({"data": [[i]]}) for i in range(10)])
    result = _profile(store, "relative", _six_env(), tmp_path / "seen.json")
    assert result.state == "Succeeded", result.get_details().get("error")
