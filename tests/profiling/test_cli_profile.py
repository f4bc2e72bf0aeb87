"""``servesize model profile`` as users run it: a real process, real Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from servesize.sdk import ModelProfile
from servesize.workspace import FINAL_STATES, Store

from .limits_helpers import cgroups_of

SCRIPTS = Path(__file__).parent / "scripts"
FAST = [
    "--duration", "3s", "--min-queries", "30",
    "--setting", "capacity_step_seconds=1.5", "--setting", "stable_windows=2",
    "--setting", "max_concurrency=1", "--setting", "confirm_duration=2",
]  # fmt: skip

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    store = Store.open(ws)
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"weights")
    store.models.register("m", weights)
    store.datasets.register("rows", [json.dumps({"data": [[i]]}) for i in range(10)])
    return ws


def _cli(workspace: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "servesize",
        "model",
        "profile",
        "--workspace",
        str(workspace),
        *args,
    ]


def _wait_for_service(cli_pid: int) -> list[psutil.Process]:
    """The scoring service under the CLI process, once it runs (at most 60 s)."""
    cli = psutil.Process(cli_pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = []
        for child in cli.children(recursive=True):
            # short-lived helpers (a probe's interpreter) may exit or be zombies here
            with contextlib.suppress(psutil.Error):
                if "servesize.serving" in " ".join(child.cmdline()):
                    found.append(child)
        if found:
            return found
        time.sleep(0.1)  # polling for the service to appear, bounded by the deadline
    raise AssertionError("the service never started")


@pytest.mark.untimed
def test_profile_writes_details_and_tags_the_model(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "details.json"
    proc = subprocess.run(
        _cli(
            workspace,
            "-n",
            "p1",
            "-m",
            "m",
            "--idi",
            "rows",
            "--entry-script",
            str(SCRIPTS / "trivial.py"),
            "--cc",
            "1",
            "--gb",
            "0.5",
            "-t",
            str(out),
            "--add-tags",
            # where to run it and its cost are chosen when the profile ends
            *("--price", "core-hour=0.05", "--price", "gb-hour=0.005"),
            *FAST,
            # the sizing search runs (the default objective is stated); short trials
            *("--setting", "trial_duration=2", "--setting", "max_trials=3"),
        ),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    details = json.loads(out.read_text())
    assert details["state"] == "Succeeded"
    assert details["requestedCpu"] == 1.0
    assert details["requestedMemoryInGB"] == 0.5
    assert "Recommendation" in proc.stdout
    # no --slo: the default objective applies and is stated
    assert details["latencyObjective"].startswith("p90<=")
    assert "objective" in proc.stdout
    deployment = details["deployment"]
    if deployment["instanceType"] is None:  # no allocation met the objective
        assert "cost" not in details
    else:
        assert (
            deployment["instanceCount"] * deployment["queriesPerSecondPerInstance"]
            >= (details["requestedQueriesPerSecond"])
        )
        assert details["cost"]["prices"] == {"core-hour": 0.05, "gb-hour": 0.005}
        assert details["cost"]["perMillionRequests"] > 0
    assert details["machine"]["cpuModel"]
    tags = Store.open(workspace).models.get("m").tags
    assert tags["recommendedCpu"] == str(details["recommendedCpu"])
    assert tags["recommendedMemoryInGB"] == str(details["recommendedMemoryInGB"])


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-m", "nope", "--idi", "rows", "--entry-script", "trivial.py"], 3, "nope"),
        (["-m", "m", "--idi", "nope", "--entry-script", "trivial.py"], 3, "nope"),
        (["-m", "m", "--idi", "rows", "--entry-script", "trivial.py", "--cc", "0"], 2, "cpu"),
        (["-m", "m", "--idi", "rows", "--entry-script", "no_run.py"], 5, "run()"),
        (
            ["-m", "m", "--idi", "rows", "--entry-script", "trivial.py", "--setting", "confirm=no"],
            2,
            "confirm='no' is not allowed",
        ),
        (["-m", "m", "--idi", "rows", "--entry-script", "missing.py"], 3, "not found"),
        (["-m", "m", "--idi", "rows"], 2, "--ic"),
        (
            ["-m", "m", "--idi", "rows", "--entry-script", "trivial.py", "--slo", "p98=9ms"],
            2,
            "percentile must be one of p50, p90, p95, p99, p99.9",
        ),
        (
            ["-m", "m", "--idi", "rows", "--entry-script", "trivial.py", "--slo", "fast"],
            2,
            "write PERCENTILE=LIMIT",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_start_nothing(
    workspace: Path, args: list[str], code: int, message: str
) -> None:
    args = [str(SCRIPTS / a) if a.endswith(".py") else a for a in args]
    proc = subprocess.run(
        _cli(workspace, "-n", "bad", *args), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert Store.open(workspace).profiles.list() == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.untimed
def test_interrupt_cancels_and_leaves_nothing_running(
    workspace: Path, signum: signal.Signals
) -> None:
    args = ["-n", "long", "-m", "m", "--idi", "rows", "--duration", "60s"]
    proc = subprocess.Popen(
        _cli(workspace, *args, "--entry-script", str(SCRIPTS / "trivial.py")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        service = _wait_for_service(proc.pid)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert Store.open(workspace).profiles.get("long").state == "Cancelled"
    assert not [p for p in service if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not cgroups_of(proc.pid, (Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/cpu")))


@pytest.mark.timing
def test_a_killed_profiler_reads_as_interrupted_and_the_next_profile_sweeps_up(
    workspace: Path,
) -> None:
    args = ["-n", "killed", "-m", "m", "--idi", "rows", "--duration", "60s"]
    proc = subprocess.Popen(
        _cli(workspace, *args, "--entry-script", str(SCRIPTS / "trivial.py")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        service = _wait_for_service(proc.pid)
        proc.kill()  # SIGKILL: no teardown runs
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    psutil.wait_procs(service, timeout=30)  # the kernel kills it (parent-death signal)
    shown = subprocess.run(
        [sys.executable, "-m", "servesize", "profile", "list", "--workspace", str(workspace),
         "--json"], capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    (listed,) = json.loads(shown.stdout)
    listing = subprocess.run(
        [sys.executable, "-m", "servesize", "profile", "list", "--workspace", str(workspace)],
        capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "COLUMNS": "200"},  # one line a profile
    )  # fmt: skip
    assert "Failed (interrupted)" in listing.stdout
    assert listed["state"] == "Failed"
    assert listed["error"]["message"].startswith("interrupted")
    table = subprocess.run(
        [sys.executable, "-m", "servesize", "profile", "show", "killed", "--workspace",
         str(workspace)], capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "Failed" in table.stdout
    assert "interrupted" in table.stdout
    assert ModelProfile(Store.open(workspace), "killed").state == "Failed"
    # the next profile removes the dead run's cgroups (only servesize's, only dead ones)
    assert cgroups_of(proc.pid), "SIGKILL left no cgroup: nothing to sweep"
    nxt = subprocess.run(
        _cli(workspace, "-n", "next", "-m", "m", "--idi", "rows", *FAST,
             "--setting", "sizing=false", "--entry-script", str(SCRIPTS / "trivial.py")),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # it ran (whatever its verdict on a busy machine): its cgroup creation swept
    assert Store.open(workspace).profiles.get("next").state in FINAL_STATES, nxt.stderr
    assert cgroups_of(proc.pid) == []
