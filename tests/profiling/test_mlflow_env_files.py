"""An MLflow model's environment read from the files MLflow writes beside MLmodel
(requirements.txt, python_env.yaml, conda.yaml) into what the environments package
builds. Fast: files in a folder, no MLflow, no network."""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from servesize.environments import HOST_REQUIREMENTS, available_pythons
from servesize.errors import EnvironmentBuildError, InvalidInputError
from servesize.profiling import ServerCommand
from servesize.profiling._mlflow_env import read_model_environment
from servesize.profiling.request import ProfileRequest
from servesize.profiling.settings import ProfileSettings
from servesize.sdk import Environment, InferenceConfig
from servesize.sdk._resolve import profile_request
from servesize.workspace import Store

HERE = platform.python_version()  # e.g. 3.11.7
MINOR = ".".join(HERE.split(".")[:2])
REQUIREMENTS = "mlflow==3.17.2\ncloudpickle==3.1.3\n# a comment\n\nscikit-learn==1.9.1\n"
PYTHON_ENV = f"python: {HERE}\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n"
CONDA = f"""channels:
- conda-forge
dependencies:
- python={HERE}
- pip<=26.3
- pip:
  - mlflow-skinny==3.17.2
  - scikit-learn==1.9.1
name: mlflow-env
"""

Files = Callable[..., Callable[[str], bytes | None]]


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """``files(**{"requirements.txt": text, ...})``: a model folder's reader."""

    def make(**contents: str) -> Callable[[str], bytes | None]:
        for name, text in contents.items():
            (tmp_path / name).write_text(text, encoding="utf-8")

        def read(name: str) -> bytes | None:
            path = tmp_path / name
            return path.read_bytes() if path.is_file() else None

        return read

    return make


def test_requirements_and_python_env_become_the_build(files: Files) -> None:
    read = files(**{"requirements.txt": REQUIREMENTS, "python_env.yaml": PYTHON_ENV})
    env = read_model_environment(read, "diabetes:1", "3.17.2")
    spec = env.spec.build_spec()
    # the full mlflow package brings pandas, uvicorn and FastAPI: nothing is added
    assert spec.requirements == ("mlflow==3.17.2", "cloudpickle==3.1.3", "scikit-learn==1.9.1")
    assert spec.python == HERE
    assert spec.label == "MLflow model diabetes:1"
    assert not spec.user_managed
    # the server is MLflow's, not servesize's host: its packages are not added
    assert spec.with_host() == spec.requirements
    assert not set(HOST_REQUIREMENTS) & set(spec.with_host())
    assert env.source == f"its requirements.txt with Python {HERE} (from python_env.yaml)"


def test_conda_yaml_alone_gives_the_pip_section_and_python(files: Files) -> None:
    env = read_model_environment(files(**{"conda.yaml": CONDA}), "m:2", "3.17.2")
    spec = env.spec.build_spec()
    # only mlflow-skinny is named: what the scoring server imports besides is added
    assert spec.requirements == (
        "mlflow-skinny==3.17.2", "scikit-learn==1.9.1", "pandas", "uvicorn", "fastapi",
    )  # fmt: skip
    assert spec.python == HERE
    assert "conda.yaml" in env.source


def test_the_users_pins_win_and_mlflow_is_added_when_unnamed(files: Files) -> None:
    read = files(**{"requirements.txt": "pandas==2.2.3\nscikit-learn==1.9.1\n"})
    spec = read_model_environment(read, "m:1", "3.17.2").spec
    assert spec.pip_requirements == (
        "pandas==2.2.3", "scikit-learn==1.9.1", "mlflow-skinny==3.17.2", "uvicorn", "fastapi",
    )  # fmt: skip
    # no Python named anywhere: servesize's own version
    assert spec.python is None


def test_a_patch_release_not_here_falls_back_to_its_minor(files: Files) -> None:
    read = files(**{"requirements.txt": REQUIREMENTS, "python_env.yaml": f"python: {MINOR}.99\n"})
    env = read_model_environment(read, "m:1")
    assert env.spec.python == MINOR
    assert f"python_env.yaml asks {MINOR}.99, which is not on this machine" in env.source


def test_a_minor_release_not_here_is_a_one_line_error(files: Files) -> None:
    read = files(**{"requirements.txt": REQUIREMENTS, "python_env.yaml": "python: 3.1.4\n"})
    with pytest.raises(EnvironmentBuildError) as caught:
        read_model_environment(read, "m:1")
    message = str(caught.value)
    assert "\n" not in message
    assert "no Python 3.1 on this machine" in message
    assert HERE in available_pythons()
    assert HERE in message


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        ({}, "has no requirements.txt or conda.yaml"),
        ({"requirements.txt": "-r base.txt\n"}, "refers to another file ('-r base.txt')"),
        ({"requirements.txt": "mlflow==2.17.0\n"}, "pins mlflow==2.17.0"),
        ({"requirements.txt": "x\n", "python_env.yaml": "python: [3\n"}, "not valid YAML"),
        (
            {
                "requirements.txt": "x\n",
                "conda.yaml": "dependencies:\n- python=3.11\n- cudatoolkit=11\n",
            },
            "conda packages cannot be installed",
        ),
    ],
)
def test_what_cannot_be_built_is_a_one_line_error(
    files: Files, contents: dict[str, str], expected: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        read_model_environment(files(**contents), "m:1")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_env_manager_takes_mlflows_names_only() -> None:
    assert ProfileSettings().env_manager == "virtualenv"
    assert ProfileSettings(env_manager="uv").env_manager == "uv"
    with pytest.raises(InvalidInputError) as caught:
        ProfileSettings.from_kwargs({"env_manager": "conda"})
    assert str(caught.value) == (
        "profile setting env_manager='conda' is not allowed: use 'local' or 'virtualenv' or 'uv'"
    )


# -- which environment a registered MLflow model gets ------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A registered MLflow model folder (its MLmodel and requirements: no MLflow needed
    to resolve a request) and a dataset."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\nmlflow_version: 3.17.2\n",
        encoding="utf-8",
    )
    (folder / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    (folder / "python_env.yaml").write_text(PYTHON_ENV, encoding="utf-8")
    store = Store.open(tmp_path / "ws")
    store.models.register("m", folder)
    store.datasets.register("rows", ["{}"])
    return store


def _request(store: Store, environment: Any = None, **settings: Any) -> ProfileRequest:
    return profile_request(
        store, name="p", models=["m"], inference_config=None, dataset="rows", cpu=None,
        memory_gb=None, description=None, settings=ProfileSettings(**settings),
        environment=environment,
    )  # fmt: skip


@pytest.mark.parametrize("manager", ["virtualenv", "uv"])
def test_the_default_builds_from_the_models_files(store: Store, manager: str) -> None:
    request = _request(store, env_manager=manager)
    assert request.environment is not None
    assert request.environment.name == "MLflow model m:1"
    assert request.environment.pip_requirements[0] == "mlflow==3.17.2"
    assert request.missing_requirements == ()  # installed by the build, not checked
    assert str(request.environment_note).startswith(f"env-manager {manager}: ")
    assert isinstance(request.server, ServerCommand)
    assert request.server.argv[0] == "{python}"  # the built environment's interpreter


def test_an_environment_given_wins_over_the_models_files(store: Store) -> None:
    env = Environment("mine")
    env.pip_requirements = ["mlflow-skinny==3.17.2", "pandas"]
    for manager in ("virtualenv", "local"):
        request = _request(store, env, env_manager=manager)
        assert request.environment is not None
        assert request.environment.name == "mine"
        assert request.environment.pip_requirements == ("mlflow-skinny==3.17.2", "pandas")
        assert "environment mine given by the user" in str(request.environment_note)
        assert request.environment.build_spec().with_host() == ("mlflow-skinny==3.17.2", "pandas")


def test_an_environment_given_with_an_inference_config_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="environment= goes with an MLflow model"):
        profile_request(
            store, name="p", models=["m"], inference_config=InferenceConfig("score.py"),
            dataset="rows", cpu=None, memory_gb=None, description=None,
            settings=ProfileSettings(), environment="mine:1",
        )  # fmt: skip


def test_the_cli_refuses_an_unknown_env_manager_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "servesize", "model", "profile", "-n", "p", "-m", "m",
         "--idi", "rows", "--env-manager", "conda", "--workspace", str(tmp_path / "ws")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "env_manager='conda' is not allowed: use 'local' or 'virtualenv' or 'uv'" in lines[0]
