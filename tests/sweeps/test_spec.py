"""The sweep file: what it accepts, and a one-line error for each mistake."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from servesize.errors import InvalidInputError, NotFoundError, UserError
from servesize.sweeps import read_sweep
from servesize.workspace import Store

from .conftest import cli


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\ndef run(x):\n    return x\n")
    (tmp_path / "ic.json").write_text('{"entryScript": "score.py"}')
    return tmp_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_and_trials_override(folder: Path) -> None:
    spec = read_sweep(
        _write(
            folder,
            "defaults:\n  dataset: rows:2\n  qps: 20\n  cpu: 1.0\n  memory_in_gb: 1\n"
            "  duration: 10s\n"
            "trials:\n"
            "  - name: one\n    model: m\n    inference_config: ic.json\n"
            "  - name: two\n    models: [m:1, n]\n    entry_script: score.py\n    cpu: 0.5\n"
            "    duration: 3\n    min_gain: 0.1\n",
        )
    )
    one, two = spec.trials
    assert (one.name, one.models, one.dataset, one.cpu) == ("one", ("m",), "rows:2", 1.0)
    assert one.inference_config == folder / "ic.json"
    assert one.settings == {"qps": 20, "min_duration": 10.0}
    assert two.models == ("m:1", "n")
    assert two.entry_script == folder / "score.py"
    assert two.cpu == 0.5
    assert two.memory_in_gb == 1.0
    assert two.settings == {"qps": 20, "min_duration": 3.0, "min_gain": 0.1}


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("trials: [", InvalidInputError, "not valid YAML at line"),
        ("- 1\n", InvalidInputError, "expected a mapping"),
        ("trial: []\n", InvalidInputError, "unknown top-level key(s) trial"),
        ("defaults: {}\n", InvalidInputError, "'trials' must be a non-empty list"),
        ("trials:\n  - 3\n", InvalidInputError, "trial #1 must be a mapping"),
        ("trials:\n  - model: m\n", InvalidInputError, "'name' is missing"),
        ("trials:\n  - name: a b\n", UserError, "trial name"),
        ("trials:\n  - name: a\n    dataset: d\n    entry_script: score.py\n", InvalidInputError,
         "trial 'a': 'model'"),
        ("trials:\n  - name: a\n    model: m\n    entry_script: score.py\n", InvalidInputError,
         "'dataset'"),
        ("trials:\n  - name: a\n    model: m\n    dataset: d\n", InvalidInputError,
         "exactly one of 'inference_config' or 'entry_script'"),
        ("trials:\n  - name: a\n    model: m\n    dataset: d\n    entry_script: nope.py\n",
         NotFoundError, "'entry_script'"),
        ("trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py, qsp: 3}\n",
         InvalidInputError, "unknown profile setting 'qsp'"),
        ("trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py, cpu: -1}\n",
         InvalidInputError, "'cpu' must be a positive number"),
        ("trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py, duration: x}\n",
         InvalidInputError, "bad duration"),
        ("trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py, environment: 3}\n",
         InvalidInputError,
         "'environment' must be a registered environment id (name or name:version), got 3"),
        ("trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py,"
         " environment: 'sk:0'}\n",
         InvalidInputError, "invalid environment id 'sk:0': the version after ':'"),
        ("trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py}\n"
         "  - {name: a, model: m, dataset: d, entry_script: score.py}\n",
         InvalidInputError, "two trials are named 'a'"),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_errors(
    folder: Path, text: str, error: type[Exception], words: str
) -> None:
    path = _write(folder, text)
    with pytest.raises(error) as caught:
        read_sweep(path)
    message = str(caught.value)
    assert words in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="sweep file not found"):
        read_sweep(tmp_path / "none.yaml")


def test_cli_prints_one_line_without_traceback(folder: Path) -> None:
    path = _write(folder, "trials:\n  - {name: a, model: m, dataset: d}\n")
    proc = subprocess.run(
        cli("sweep", "run", str(path), "--workspace", str(folder / "ws")),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "exactly one of 'inference_config' or 'entry_script'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_model_fails_before_any_trial_runs(folder: Path) -> None:
    path = _write(
        folder, "trials:\n  - {name: a, model: nope, dataset: d, entry_script: score.py}\n"
    )
    proc = subprocess.run(
        cli("sweep", "run", str(path), "--workspace", str(folder / "ws")),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert "trial 'a'" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr


def test_without_ray_the_address_option_says_how_to_install(folder: Path) -> None:
    path = _write(folder, "trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py}\n")
    # this interpreter, with the ray package made unimportable
    code = (
        "import sys; sys.modules['ray'] = None; from servesize.cli import main; "
        f"sys.argv = ['servesize', 'sweep', 'run', {str(path)!r}, '--ray-address', 'auto']; "
        "main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: --ray-address needs Ray, which is not installed: pip install 'servesize[ray]'"
    )


def test_the_bundled_example_is_valid() -> None:
    spec = read_sweep(Path(__file__).parents[2] / "examples" / "sweep.yaml")
    assert [t.name for t in spec.trials] == [
        "forest-one-core",
        "forest-half-core",
        "forest-half-core-40qps",
    ]
    assert spec.trials[2].settings["qps"] == 40


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1:1", "cannot connect to the Ray cluster at 127.0.0.1:1"),
        ("nonsense", "bad Ray address 'nonsense'"),
    ],
)
def test_an_unreachable_or_malformed_ray_address_is_one_line(
    folder: Path, address: str, words: str
) -> None:
    if importlib.util.find_spec("ray") is None:
        pytest.skip("ray is not installed")
    store = Store.open(folder / "ws")
    store.models.register("m", folder / "score.py")
    store.datasets.register("d", ["{}"])
    path = _write(folder, "trials:\n  - {name: a, model: m, dataset: d, entry_script: score.py}\n")
    proc = subprocess.run(
        cli("sweep", "run", str(path), "--ray-address", address, "--workspace", str(folder / "ws")),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode in (1, 2), proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert words in proc.stderr


def test_an_unknown_environment_fails_before_any_trial_runs(folder: Path) -> None:
    import servesize

    store = Store.open(folder / "ws")
    (folder / "w.bin").write_bytes(b"w")
    store.models.register("m", folder / "w.bin")
    store.datasets.register("d", ["{}"])
    path = _write(
        folder,
        "defaults: {model: m, dataset: d, inference_config: ic.json}\n"
        "trials:\n  - {name: a}\n  - {name: b, environment: 'sk:2'}\n",
    )
    with pytest.raises(NotFoundError) as caught:
        servesize.sweep(store, path)
    assert str(caught.value) == "trial 'b': environment sk:2 not found"
    assert store.profiles.list() == []  # trial 'a' did not run either


@pytest.mark.parametrize("name", ["sweep.yaml", "upgrade.yaml"])
def test_the_example_sweep_files_read(name: str) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    trials = read_sweep(examples / name).trials
    assert trials
    assert all(t.inference_config or t.entry_script for t in trials)
    if name == "upgrade.yaml":  # one question, asked in two environments
        old, new = trials
        assert (old.environment, new.environment) == ("sklearn-1.5.2", "sklearn-1.9.1")
        assert old.settings == new.settings == {"qps": 100, "slo": "p99=50ms"}
        assert old.inference_config == new.inference_config == examples / "inference-config.json"
