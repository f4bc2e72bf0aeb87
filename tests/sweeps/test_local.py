"""Sweeps run here, one trial after another: failures, reruns, the table."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

import servesize
from servesize.errors import NotFoundError
from servesize.workspace import Store

from .conftest import cli, write_sweep

pytestmark = pytest.mark.slow


def _sweep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli("sweep", *args), capture_output=True, text=True, timeout=240)


@pytest.mark.untimed
def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(
    workspace: Path, sources: Path, tmp_path: Path
) -> None:
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        [
            {"name": "broken", "entry_script": "src/failing_init.py"},
            {"name": "fine", "entry_script": "src/trivial.py"},
        ],
    )
    first = _sweep("run", str(sweep), "--workspace", str(workspace))
    assert first.returncode == 9, first.stderr  # not every trial succeeded
    store = Store.open(workspace)
    broken, fine = store.profiles.get("broken"), store.profiles.get("fine")
    assert broken.state == "Failed"
    assert "model file is corrupt" in broken.details["error"]["message"]
    assert fine.state == "Succeeded"
    assert fine.details["sweepRunner"] == "local"
    assert fine.details["node"]
    assert fine.details["trialStartTime"] < fine.details["trialEndTime"]
    # second run: the Succeeded trial is skipped, the Failed one runs again
    second = _sweep("run", str(sweep), "--workspace", str(workspace))
    assert "fine: Skipped" in second.stderr
    assert "broken: Running" in second.stderr
    assert store.profiles.get("fine").details == fine.details
    shown = _sweep("show", str(sweep), "--json", "--workspace", str(workspace))
    rows = {row["name"]: row for row in json.loads(shown.stdout)}
    assert rows["fine"]["state"] == "Succeeded"
    assert rows["fine"]["recommendedCpu"] == fine.details["recommendedCpu"]
    assert rows["broken"]["state"] == "Failed"
    assert "model file is corrupt" in rows["broken"]["error"]


@pytest.mark.untimed
def test_sdk_sweep_returns_profiles_and_reruns_on_request(
    workspace: Path, sources: Path, tmp_path: Path
) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", [{"name": "p", "entry_script": "src/trivial.py"}])
    ws = servesize.Workspace(path=workspace)
    events: list[tuple[str, str]] = []
    (profile,) = servesize.sweep(ws, sweep, on_event=lambda n, s: events.append((n, s)))
    assert profile.name == "p"
    assert profile.state == "Succeeded"
    assert events == [("p", "Running"), ("p", "Succeeded")]
    created = profile.get_details()["createdTime"]
    (again,) = servesize.sweep(ws, sweep, rerun=True)
    assert again.get_details()["createdTime"] != created


@pytest.mark.untimed
def test_ctrl_c_cancels_the_running_trial_and_stops_the_sweep(
    workspace: Path, sources: Path, tmp_path: Path
) -> None:
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        [
            {"name": "long", "entry_script": "src/trivial.py"},
            {"name": "never", "entry_script": "src/trivial.py"},
        ],
        duration=120,
        min_queries=100000,
    )
    proc = subprocess.Popen(
        cli("sweep", "run", str(sweep), "--workspace", str(workspace)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    store = Store.open(workspace)
    deadline = time.monotonic() + 120
    while not (service := _services(proc.pid)):  # the trial's scoring service is up
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the trial's service never started"
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert store.profiles.get("long").state == "Cancelled"
    with pytest.raises(NotFoundError):
        store.profiles.get("never")
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in service), (
        "a process of the trial outlived the sweep"
    )


def _services(pid: int) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a short-lived helper that just exited
            if "servesize.serving" in child.cmdline():
                found.append(child)
    return found
