from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from servesize import CondaDependencies, Environment, Workspace
from servesize.errors import InvalidInputError


def test_conda_dependencies_as_azure_builds_them(tmp_path: Path) -> None:
    deps = CondaDependencies.create(
        pip_packages=["azureml-defaults", "scikit-learn==1.4"],
        conda_packages=["numpy"],
        python_version="3.11",
        pin_sdk_version=False,
    )
    deps.add_pip_package("joblib")
    deps.add_pip_package("scikit-learn>=1.5")  # replaces the pin
    deps.add_conda_package("numpy=1.26")
    deps.add_channel("conda-forge")
    assert deps.pip_packages == ["azureml-defaults", "scikit-learn>=1.5", "joblib"]
    assert deps.conda_packages == ["python=3.11", "numpy=1.26", "pip"]
    deps.remove_pip_package("joblib")
    spec = yaml.safe_load(deps.serialize_to_string())
    assert spec["dependencies"][-1] == {"pip": ["azureml-defaults", "scikit-learn>=1.5"]}
    assert spec["channels"] == ["conda-forge"]
    saved = deps.save(tmp_path / "env.yml")
    assert CondaDependencies(saved) == deps
    with pytest.raises(InvalidInputError, match="needs a path"):
        CondaDependencies().save()


def test_default_python_is_the_running_one() -> None:
    version = f"python={sys.version_info.major}.{sys.version_info.minor}"
    assert CondaDependencies().conda_packages == [version]


def test_environment_python_conda_dependencies_drive_the_requirements(tmp_path: Path) -> None:
    env = Environment("myenv")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["scikit-learn"])
    env.python.conda_dependencies.add_pip_package("joblib")  # edits the live specification
    env.python.user_managed_dependencies = True
    env.docker.base_image = "mcr.microsoft.com/azureml/base:latest"  # accepted, ignored
    assert env.pip_requirements == ["scikit-learn", "joblib"]
    stored = env.register(Workspace(tmp_path / "ws"))
    assert stored.pip_requirements == ["scikit-learn", "joblib"]
    assert stored.python.conda_dependencies.pip_packages == ["scikit-learn", "joblib"]
    with pytest.raises(InvalidInputError, match="must be a CondaDependencies"):
        env.python.conda_dependencies = ["numpy"]  # type: ignore[assignment]


def test_a_pip_environment_gets_editable_conda_dependencies(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("numpy\n")
    env = Environment.from_pip_requirements("pipenv", tmp_path / "requirements.txt")
    env.python.conda_dependencies.add_pip_package("joblib")
    assert env.pip_requirements == ["numpy", "joblib"]


def test_azure_workspace_arguments_open_the_default_local_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVESIZE_WORKSPACE", str(tmp_path / "local"))
    ws = Workspace("0000-sub", "my-rg", "my-ws")
    assert (ws.path, ws.subscription_id, ws.resource_group) == (
        tmp_path / "local",
        "0000-sub",
        "my-rg",
    )
    keywords = Workspace(subscription_id="s", resource_group="rg", workspace_name="w", auth=None)
    assert keywords.path == tmp_path / "local"
    assert Workspace.get("my-ws", subscription_id="s", resource_group="rg").path == ws.path
    (tmp_path / "config.json").write_text('{"subscription_id": "s"}')
    assert Workspace.from_config(tmp_path / "config.json").path == ws.path
    assert Workspace.from_config(str(tmp_path)).path == ws.path  # a folder holding config.json
    assert Workspace.from_config().path == ws.path
    assert Workspace(tmp_path / "mine").path == tmp_path / "mine"  # servesize's form unchanged
    with pytest.raises(InvalidInputError, match="unexpected argument 'pth'"):
        Workspace(pth="x")


def test_dataset_type_definitions_import_forms() -> None:
    from servesize import PromoteHeadersBehavior, dataset_type_definitions
    from servesize.dataset_type_definitions import (
        PromoteHeadersBehavior as Imported,
    )

    assert dataset_type_definitions.PromoteHeadersBehavior is PromoteHeadersBehavior is Imported
