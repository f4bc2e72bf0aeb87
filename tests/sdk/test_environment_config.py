from __future__ import annotations

import json
from pathlib import Path

import pytest

from servesize import Environment, InferenceConfig, Workspace
from servesize.errors import InvalidInputError, InvalidNameError, NotFoundError


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "score.py").write_text("def init():\n    pass\n\ndef run(d):\n    return d\n")
    (root / "requirements.txt").write_text("numpy\njoblib\n")
    (root / "env.yml").write_text("dependencies:\n  - python=3.11\n  - pip:\n    - scikit-learn\n")
    return root


def test_environment_register_and_get(ws: Workspace, project: Path) -> None:
    env = Environment.from_pip_requirements("sk", project / "requirements.txt")
    env.environment_variables["OMP_NUM_THREADS"] = "1"
    stored = env.register(ws)
    assert (stored.id, stored.pip_requirements) == ("sk:1", ["numpy", "joblib"])
    conda = Environment.from_conda_specification("sk", str(project / "env.yml")).register(ws)
    assert conda.version == 2
    assert conda.pip_requirements == ["scikit-learn"]
    assert Environment.get(ws, "sk", version=1).environment_variables == {"OMP_NUM_THREADS": "1"}
    assert Environment.get(ws, "sk").version == 2
    assert set(Environment.list(ws)) == {"sk"}
    with pytest.raises(NotFoundError):
        Environment.from_pip_requirements("x", project / "missing.txt")


def test_inference_config_from_file_inline_environment(project: Path) -> None:
    config_file = project / "inference-config.json"
    config_file.write_text(
        json.dumps(
            {
                "entryScript": "score.py",
                "sourceDirectory": "src",
                "runtime": "python",
                "extraDockerfileSteps": None,
                "somethingNew": 1,
                "environment": {
                    "name": "inline-env",
                    "python": {"pip": ["numpy"]},
                    "environmentVariables": {"A": 1},
                },
            }
        )
    )
    config = InferenceConfig.from_file(config_file)
    assert Path(config.entry_script) == project / "src" / "score.py"
    assert config.source_directory == str(project / "src")
    assert config.entry_script_path == project / "src" / "score.py"
    assert isinstance(config.environment, Environment)
    assert config.environment.pip_requirements == ["numpy"]
    assert config.environment.environment_variables == {"A": "1"}


def test_inference_config_conda_inline_and_condafile(project: Path) -> None:
    (project / "src" / "c.json").write_text(
        json.dumps(
            {
                "entryScript": "score.py",
                "environment": {
                    "name": "e",
                    "python": {"condaDependencies": {"dependencies": [{"pip": ["joblib"]}]}},
                },
            }
        )
    )
    assert InferenceConfig.from_file(project / "src" / "c.json").environment.pip_requirements == [  # type: ignore[union-attr]
        "joblib"
    ]
    (project / "old.json").write_text(
        json.dumps({"entryScript": "src/score.py", "condaFile": "env.yml"})
    )
    old = InferenceConfig.from_file(project / "old.json")
    assert isinstance(old.environment, Environment)
    assert old.environment.pip_requirements == ["scikit-learn"]


def test_environment_by_reference(ws: Workspace, project: Path) -> None:
    Environment.from_pip_requirements("sk", project / "requirements.txt").register(ws)
    path = project / "ref.json"
    path.write_text(
        json.dumps({"entryScript": "src/score.py", "environment": {"name": "sk", "version": "1"}})
    )
    assert InferenceConfig.from_file(path).environment == "sk:1"  # resolved later
    resolved = InferenceConfig.from_file(path, ws)
    assert isinstance(resolved.environment, Environment)
    assert resolved.environment.id == "sk:1"
    resolved_by_store = InferenceConfig.from_file(path, ws.store)
    assert isinstance(resolved_by_store.environment, Environment)
    path.write_text(
        json.dumps({"entryScript": "src/score.py", "environment": {"name": "sk", "version": 7}})
    )
    with pytest.raises(NotFoundError):
        InferenceConfig.from_file(path, ws)


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        ("{not json", InvalidInputError, "not valid JSON"),
        ("[1, 2]", InvalidInputError, "JSON object"),
        ("{}", InvalidInputError, "entryScript"),
        ('{"entryScript": 3}', InvalidInputError, "entryScript"),
        ('{"entryScript": "nope.py"}', NotFoundError, "entry script"),
        (
            '{"entryScript": "score.py", "sourceDirectory": "gone"}',
            NotFoundError,
            "source directory",
        ),
        ('{"entryScript": "src/score.py", "environment": "x"}', InvalidInputError, "environment"),
        (
            '{"entryScript": "src/score.py", "environment": {"name": "../x"}}',
            InvalidNameError,
            "environment name",
        ),
        (
            '{"entryScript": "src/score.py",'
            ' "environment": {"name": "e", "python": {"pip": "numpy"}}}',
            InvalidInputError,
            "pip",
        ),
    ],
)
def test_malformed_inference_configs(
    project: Path, content: str, error: type[Exception], match: str
) -> None:
    path = project / "bad.json"
    path.write_text(content)
    with pytest.raises(error, match=match) as info:
        InferenceConfig.from_file(path)
    assert "\n" not in str(info.value)


def test_inference_config_constructor(project: Path) -> None:
    config = InferenceConfig(
        entry_script="score.py", source_directory=str(project / "src"), environment="sk:1"
    )
    assert config.entry_script_path == project / "src" / "score.py"
    assert config.serialize()["environment"] == {"name": "sk", "version": "1"}
    with pytest.raises(InvalidInputError):
        InferenceConfig("")
