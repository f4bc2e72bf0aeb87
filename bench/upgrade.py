"""What a scikit-learn upgrade costs the bundled example: the documented workflow
(docs/sweeps.md, "What a library upgrade costs") run end to end with the CLI.

In a fresh workspace: register one environment per requirements file, build each,
train the example model in each (examples/train.py; a pickle is only good for the
scikit-learn that wrote it), register those models and the sample requests, run
examples/upgrade.yaml (one default profile per environment), compare the two with
``servesize profile compare``, and time ``score.run`` alone in each environment (CPU
per call without HTTP, bench/example_cost.py's probe). Appends to
bench/RESULTS-upgrade.md with the load average and the CPU model.

    .venv/bin/python bench/upgrade.py
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BENCH, EXAMPLES, append_results, machine, run_heading, servesize, uptime
from example_cost import probe

from servesize.profiling._service import cpu_model
from servesize.sdk import ModelProfile, prepare_environment
from servesize.workspace import Store

RESULTS = BENCH / "RESULTS-upgrade.md"
#: the environments of examples/upgrade.yaml: name -> requirements file
ENVIRONMENTS = {
    "sklearn-1.5.2": EXAMPLES / "requirements-sklearn-1.5.2.txt",
    "sklearn-1.9.1": EXAMPLES / "requirements.txt",
}


def _cli(workspace: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = servesize(workspace, *args)
    if done.returncode not in ok:
        raise SystemExit(f"servesize {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return done.stdout


def prepare(workspace: Path, models: Path) -> None:
    """The workflow's set-up: environments, a model trained in each, the requests."""
    for name, requirements in ENVIRONMENTS.items():
        _cli(workspace, "environment", "register", "-n", name,
             "--pip-requirements", str(requirements), "--env", "OMP_NUM_THREADS=1")  # fmt: skip
        built = json.loads(_cli(workspace, "environment", "build", name, "--json"))
        model = models / name / "model.joblib"
        python = Path(built["path"]) / "bin" / "python"
        subprocess.run([python, EXAMPLES / "train.py", model], check=True)
        _cli(workspace, "model", "register", "--name", f"diabetes-forest-{name}",
             "--path", str(model), "--tag", "framework=scikit-learn")  # fmt: skip
    _cli(workspace, "dataset", "register", "--name", "diabetes-requests",
         "--file", str(EXAMPLES / "sample-requests.txt"))  # fmt: skip


def _ms(seconds: object) -> str:
    return "—" if not isinstance(seconds, int | float) else f"{seconds * 1000:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="default: a new temporary folder")
    args = parser.parse_args()
    os.environ["COLUMNS"] = "120"  # the comparison table, unwrapped
    command = ".venv/bin/python " + shlex.join(["bench/upgrade.py", *sys.argv[1:]])
    before = uptime()
    with tempfile.TemporaryDirectory(prefix="servesize-upgrade-") as tmp:
        workspace = args.workspace or Path(tmp) / "ws"
        prepare(workspace, Path(tmp) / "models")
        started = time.monotonic()
        _cli(workspace, "sweep", "run", str(EXAMPLES / "upgrade.yaml"))
        sweep_seconds = time.monotonic() - started
        # exit 1: the candidate regressed beyond 10%, which is what is being measured
        compared = _cli(
            workspace, "profile", "compare", *ENVIRONMENTS, "--max-regression", "10%", ok=(0, 1)
        )
        store = Store.open(workspace)
        rows = []
        for name in ENVIRONMENTS:
            d = ModelProfile(store, name).get_details()
            built, variables = prepare_environment(store, name)
            alone = probe(built.python, built.launch_env(os.environ, variables))
            rows.append(
                f"| {name} | {alone['sklearn']} | {alone['numpy']} | {d.get('validity')} "
                f"| {_ms(d.get('cpuSecondsPerQuery'))} | {alone['cpuMsPerRequest']} "
                f"| {d.get('recommendedCpu')} | {d.get('recommendedMemoryInGB')} "
                f"| {d.get('maxSustainableQueriesPerSecond')} "
                f"| {d.get('latencyPercentile50InMs')} | {d.get('latencyPercentile90InMs')} "
                f"| {d.get('cpuContentionShare')} |"
            )
    after = uptime()
    text = "\n".join(
        [
            run_heading(),
            f"{machine()}, CPU model: {cpu_model()}.\n",
            f"`uptime` before: `{before}`; after: `{after}`.\n",
            f"Command: `{command}` (the sweep took {sweep_seconds:.0f} s).\n",
            "| environment | scikit-learn | numpy | verdict | CPU ms / query (profile) "
            "| CPU ms / call (score.run alone) | CPU | GB | max q/s | p50 ms | p90 ms "
            "| contention |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "`servesize profile compare sklearn-1.5.2 sklearn-1.9.1 --max-regression 10%`:",
            "",
            "```",
            compared.rstrip(),
            "```",
            "",
        ]
    )
    append_results(RESULTS, text, "# What a scikit-learn upgrade costs the bundled example\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
