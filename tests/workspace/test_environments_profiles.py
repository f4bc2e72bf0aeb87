from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from servesize.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from servesize.workspace import (
    INTERRUPTED,
    Store,
    read_conda_specification,
    read_pip_requirements,
    this_process,
)

CONDA = """\
name: demo
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy
  - pip:
      - scikit-learn>=1.4
      - joblib
"""


def test_pip_and_conda_environments(store: Store, tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("# comment\nnumpy>=1.26  # inline\n\nscikit-learn\n")
    pip, text = read_pip_requirements(req)
    record = store.environments.register(
        "env", pip_requirements=pip, environment_variables={"A": 1}, spec=text
    )
    assert (record.id, record.pip_requirements) == ("env:1", ["numpy>=1.26", "scikit-learn"])
    assert record.environment_variables == {"A": "1"}
    conda_file = tmp_path / "env.yml"
    conda_file.write_text(CONDA)
    spec, text = read_conda_specification(conda_file)
    record = store.environments.register("env", conda_dependencies=spec, spec=text)
    assert record.id == "env:2"
    assert record.pip_requirements == ["scikit-learn>=1.4", "joblib"]
    assert record.conda_dependencies is not None
    assert record.conda_dependencies["channels"] == ["conda-forge"]
    assert store.environments.get("env").version == 2


def test_environment_mistakes(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="variable name"):
        store.environments.register("env", environment_variables={"1BAD": "x"})
    bad = tmp_path / "bad.yml"
    bad.write_text("dependencies: [unclosed")
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        read_conda_specification(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(InvalidInputError, match="mapping"):
        read_conda_specification(bad)
    with pytest.raises(NotFoundError):
        store.environments.get("env")


def test_profiles_lifecycle(store: Store) -> None:
    created = store.profiles.create("p1", "first", {"modelIds": ["m:1"]})
    assert (created.state, created.request, created.details) == (
        "NotStarted",
        {"modelIds": ["m:1"]},
        {},
    )
    with pytest.raises(AlreadyExistsError):
        store.profiles.create("p1", None, {})
    updated = store.profiles.update("p1", state="Running", details={"state": "Running"})
    assert updated.state == "Running"
    assert updated.updated_time >= created.updated_time
    store.profiles.update("p1", state="Succeeded", record={"id": "p1"})
    got = store.profiles.get("p1")
    assert (got.state, got.details, got.record) == ("Succeeded", {"state": "Running"}, {"id": "p1"})
    with pytest.raises(InvalidInputError, match="state"):
        store.profiles.update("p1", state="Done")
    with pytest.raises(NotFoundError):
        store.profiles.update("nope", state="Running")


def test_profile_series_log_and_delete(store: Store) -> None:
    store.profiles.create("p", None, {})
    assert store.profiles.get_series("p", "samples") == []
    rows = [{"t": i / 10, "cpu": 0.5, "phase": "warmup"} for i in range(1000)]
    store.profiles.put_series("p", "samples", rows)
    store.profiles.put_series("p", "windows", [{"t": 1}])
    assert store.profiles.get_series("p", "samples") == rows
    store.profiles.put_series("p", "windows", [{"t": 2}])  # replaces
    assert store.profiles.get_series("p", "windows") == [{"t": 2}]
    log = store.profile_log_path("p")
    assert log == store.root / "logs" / "p.log"
    log.write_text("served\n")
    store.profiles.create("q", None, {})
    assert [p.name for p in store.profiles.list()] == ["p", "q"]
    store.profiles.delete("p")
    assert not log.exists()
    with pytest.raises(NotFoundError):
        store.profiles.get_series("p", "samples")
    with pytest.raises(NotFoundError):
        store.profiles.put_series("p", "samples", [])
    with pytest.raises(InvalidInputError, match="JSON"):
        store.profiles.update("q", details={"bad": object()})


def test_a_profile_whose_runner_died_reads_as_failed_interrupted(store: Store) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    me = this_process()
    runners = {
        "dead": {"pid": gone.pid, "createTime": me["createTime"]},
        # our pid, another start time: a reused pid is not the runner
        "reused": {"pid": me["pid"], "createTime": me["createTime"] - 3600},
        "alive": me,
    }
    for name, runner in runners.items():
        store.profiles.create(name, None, {})
        store.profiles.update(name, state="Running", record={"runner": runner})
    states = {r.name: r.state for r in store.profiles.list()}
    assert states == {"dead": "Failed", "reused": "Failed", "alive": "Running"}
    for name in ("dead", "reused"):
        details = store.profiles.get(name).details
        assert details["interrupted"] is True
        assert details["error"]["type"] == INTERRUPTED
        assert details["error"]["message"].startswith("interrupted: the process running")
    # a final state is never touched, whoever ran it
    store.profiles.update("alive", state="Succeeded")
    store.profiles.update("alive", record={"runner": runners["dead"]})
    assert store.profiles.get("alive").state == "Succeeded"
