"""A trial's inputs packed on the driver and unpacked on a node: same names, versions,
rows, sources and environment, in a workspace of its own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from servesize.errors import AlreadyExistsError
from servesize.sweeps import read_sweep
from servesize.sweeps._bundle import local_inputs, pack, unpack
from servesize.workspace import Store


def test_pack_and_unpack_keep_names_versions_rows_and_sources(tmp_path: Path) -> None:
    driver = Store.open(tmp_path / "driver")
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "weights.bin").write_bytes(b"\x00\x01weights")
    for _ in range(3):  # the trial uses version 3
        driver.models.register("m", folder, tags={"team": "a"})
    driver.datasets.register("rows", ["one"])
    driver.datasets.register("rows", [json.dumps({"data": [[1]]}), json.dumps({"data": [[2]]})])
    src = tmp_path / "project"
    (src / "lib").mkdir(parents=True)
    (src / "score.py").write_text("def init():\n    pass\n\ndef run(x):\n    return x\n")
    (src / "lib" / "helper.py").write_text("X = 1\n")
    (src / ".venv").mkdir()
    (src / ".venv" / "big").write_text("not shipped")
    os.symlink("/etc/hostname", src / "outside")  # a link out: not shipped
    (src / "ic.json").write_text(
        json.dumps(
            {
                "entryScript": "score.py",
                "sourceDirectory": ".",
                "environment": {
                    "name": "env",
                    "python": {"pip": ["numpy"]},
                    "environmentVariables": {"OMP_NUM_THREADS": "1"},
                },
            }
        )
    )
    sweep = src / "sweep.yaml"
    sweep.write_text(
        "trials:\n  - {name: t, model: 'm:3', dataset: rows, inference_config: ic.json}\n"
    )
    (trial,) = read_sweep(sweep).trials

    bundle = pack(driver, trial)
    node, inputs = unpack(bundle, tmp_path / "node")

    assert inputs.models == ("m:3",)
    assert inputs.dataset == "rows:2"
    model = node.models.get("m:3")
    assert model.tags == {"team": "a"}
    assert [f.path for f in model.files] == ["sub/weights.bin"]
    assert node.datasets.rows("rows:2") == driver.datasets.rows("rows:2")
    config = inputs.inference_config
    shipped = Path(config.source_directory)
    assert (shipped / "lib" / "helper.py").read_text() == "X = 1\n"
    assert not (shipped / ".venv").exists()
    assert not (shipped / "outside").exists()
    assert Path(config.entry_script) == shipped / "score.py"
    assert config.environment.environment_variables == {"OMP_NUM_THREADS": "1"}
    assert config.environment.pip_requirements == ["numpy"]
    assert bundle.driver_paths["entryScript"] == str(src / "score.py")


def test_a_version_can_be_claimed_only_above_the_last(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "ws")
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    assert store.models.register("m", weights, version=5).version == 5
    assert store.models.register("m", weights).version == 6
    with pytest.raises(AlreadyExistsError):
        store.models.register("m", weights, version=6)
    assert store.datasets.register("d", ["r"], version=2).id == "d:2"
    with pytest.raises(AlreadyExistsError):
        store.datasets.register("d", ["r"], version=1)


def _driver(tmp_path: Path, environments: dict[str, list[str]]) -> Store:
    """A driver's workspace with model ``m``, dataset ``rows``, the registered
    ``environments`` (name -> pip lines, variable A=1) and a trivial ``score.py``."""
    from servesize.sdk import Environment

    driver = Store.open(tmp_path / "driver")
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    driver.models.register("m", weights)
    driver.datasets.register("rows", ["{}"])
    for name, pip in environments.items():
        env = Environment(name)
        env.environment_variables = {"A": "1"}
        env.pip_requirements = pip
        env.register(driver)
    (tmp_path / "score.py").write_text("def init():\n    pass\n\ndef run(x):\n    return x\n")
    return driver


def test_a_registered_environment_travels_as_its_specification(tmp_path: Path) -> None:
    driver = _driver(tmp_path, {"env": ["joblib"]})
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        "trials:\n  - {name: t, model: m, dataset: rows, entry_script: score.py,"
        " environment: 'env:1'}\n"
    )
    (trial,) = read_sweep(sweep).trials
    _, inputs = unpack(pack(driver, trial), tmp_path / "node")
    shipped = inputs.inference_config.environment
    assert (shipped.name, shipped.version) == ("env", 1)
    assert shipped.environment_variables == {"A": "1"}
    assert shipped.pip_requirements == ["joblib"]


def test_a_trial_s_environment_replaces_its_inference_config_s(tmp_path: Path) -> None:
    """Trials that differ only in environment: what a library upgrade costs."""
    driver = _driver(
        tmp_path,
        {f"sk-{v}": [f"scikit-learn=={v}"] for v in ("1.9.1", "1.5.2")},
    )
    (tmp_path / "ic.json").write_text(
        json.dumps({"entryScript": "score.py", "environment": {"python": {"pip": ["six"]}}})
    )
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        "defaults: {model: m, dataset: rows, inference_config: ic.json}\n"
        "trials:\n  - {name: new, environment: sk-1.9.1}\n"
        "  - {name: old, environment: 'sk-1.5.2:1'}\n  - {name: file}\n"
    )
    new, old, file = read_sweep(sweep).trials
    assert local_inputs(new).inference_config.environment == "sk-1.9.1"
    assert local_inputs(old).inference_config.environment == "sk-1.5.2:1"
    assert local_inputs(file).inference_config == str(tmp_path / "ic.json")  # as it was
    _, inputs = unpack(pack(driver, old), tmp_path / "node")  # and on a Ray node
    assert inputs.inference_config.environment.pip_requirements == ["scikit-learn==1.5.2"]
