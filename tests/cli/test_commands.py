from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from servesize.cli import app

from .conftest import Run


def test_model_commands_round_trip(run: Run, files: Path, tmp_path: Path) -> None:
    model = files / "model.bin"
    assert (
        run("model", "register", "--name", "m", "--path", str(model), "--tag", "a=1").out == "m:1\n"
    )
    assert run("model", "register", "-n", "m", "-p", str(model), "--property", "p=x").out == "m:2\n"
    listed = json.loads(run("model", "list", "--json").out)
    assert [m["id"] for m in listed] == ["m:1", "m:2"]
    assert set(listed[0]) >= {
        "id",
        "name",
        "version",
        "tags",
        "properties",
        "description",
        "createdTime",
    }
    table = run("model", "list").out
    assert "m:1" in table
    assert "a=1" in table
    shown = json.loads(run("model", "show", "-i", "m", "--json").out)
    assert (shown["version"], shown["properties"]) == (2, {"p": "x"})
    result = run("model", "update", "-i", "m:1", "--add-tag", "k=v", "--remove-tag", "a", "--json")
    assert json.loads(result.out)["tags"] == {"k": "v"}
    target = tmp_path / "dl"
    assert run("model", "download", "-i", "m:1", "-t", str(target)).out.strip() == str(
        target / "model.bin"
    )
    assert (target / "model.bin").read_bytes() == b"weights"
    assert run("model", "delete", "-i", "m:1").out == "deleted m:1\n"
    assert [m["id"] for m in json.loads(run("model", "list", "--json").out)] == ["m:2"]


def test_dataset_commands(run: Run, files: Path) -> None:
    assert (
        run("dataset", "register", "--name", "r", "--file", str(files / "requests.txt")).out
        == "r:1\n"
    )
    assert (
        run(
            "dataset",
            "register",
            "-n",
            "r",
            "-f",
            str(files / "requests.jsonl"),
            "--format",
            "jsonl",
        ).out
        == "r:2\n"
    )
    csv_args = ["-f", str(files / "requests.csv"), "--format", "csv", "--column", "body"]
    assert run("dataset", "register", "-n", "c", *csv_args).out == "c:1\n"
    shown = run("dataset", "show", "-i", "r:1", "--head", "2")
    assert "3 rows" in shown.out
    assert '{"data": [[3, 4]]}' in shown.out
    assert "1 more" in shown.out
    assert json.loads(run("dataset", "show", "-i", "c", "--json").out)["head"] == ['{"x": 1}']
    listed = json.loads(run("dataset", "list", "--json").out)
    assert [(d["id"], d["rowCount"]) for d in listed] == [("c:1", 1), ("r:1", 3), ("r:2", 2)]
    assert "requests.txt" in run("dataset", "list").out


def test_environment_commands(run: Run, files: Path) -> None:
    pip = ["--pip-requirements", str(files / "requirements.txt"), "--env", "A=1", "--env", "B=x=y"]
    assert run("environment", "register", "--name", "e", *pip).out == "e:1\n"
    assert (
        run("environment", "register", "-n", "e", "--conda-file", str(files / "env.yml")).out
        == "e:2\n"
    )
    shown = json.loads(run("environment", "show", "-i", "e:1", "--json").out)
    assert shown["environmentVariables"] == {"A": "1", "B": "x=y"}
    assert json.loads(run("environment", "show", "-i", "e", "--json").out)["pipRequirements"] == [
        "joblib"
    ]
    assert "e:2" in run("environment", "list").out
    assert "numpy" in run("environment", "show", "-i", "e:1").out


def test_typer_runner_sees_the_same_commands(workspace: Path, files: Path) -> None:
    runner = CliRunner()
    args = ["--workspace", str(workspace)]
    result = runner.invoke(
        app, ["model", "register", "-n", "m", "-p", str(files / "model.bin"), *args]
    )
    assert (result.exit_code, result.output) == (0, "m:1\n")
    result = runner.invoke(app, ["model", "list", "--json", *args])
    assert json.loads(result.output)[0]["id"] == "m:1"
    result = runner.invoke(app, ["model", "--help"])
    for command in ("register", "list", "show", "update", "download", "delete"):
        assert command in result.output
