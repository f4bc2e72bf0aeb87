"""Sweeps on a real local Ray head (in a network namespace): figures, isolation, Ctrl-C."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import psutil
import pytest

from servesize.profiling import detect
from servesize.workspace import Store

from .conftest import RayHead, cli, write_sweep

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def _run(head: RayHead, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        head.enter(cli(*args)), capture_output=True, text=True, timeout=timeout, check=False
    )


def _interval(details: dict[str, object]) -> tuple[datetime, datetime]:
    return (
        datetime.fromisoformat(str(details["trialStartTime"])),
        datetime.fromisoformat(str(details["trialEndTime"])),
    )


@pytest.mark.untimed
def test_same_trial_locally_and_on_ray_and_disjoint_cores(
    ray_head: RayHead, workspace: Path, sources: Path, tmp_path: Path
) -> None:
    trials: list[dict[str, object]] = [
        {"name": name, "entry_script": "src/burn.py", "extra_env": {"BURN_MS": "8"}}
        for name in ("a", "b")
    ]
    sweep = write_sweep(tmp_path / "sweep.yaml", trials)
    local_ws = tmp_path / "local"
    shutil.copytree(workspace, local_ws)

    on_ray = _run(ray_head, "sweep", "run", str(sweep), "--ray-address", ray_head.address,
                  "--workspace", str(workspace))  # fmt: skip
    assert on_ray.returncode == 0, on_ray.stderr
    # locally only the trial compared (b is on Ray to check the cores it was given)
    local_sweep = write_sweep(tmp_path / "local.yaml", trials[:1])
    local = subprocess.run(
        cli("sweep", "run", str(local_sweep), "--workspace", str(local_ws)),
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr

    ray_store, local_store = Store.open(workspace), Store.open(local_ws)
    ray_a, local_a = ray_store.profiles.get("a").details, local_store.profiles.get("a").details
    assert ray_a["sweepRunner"] == "ray"
    assert local_a["sweepRunner"] == "local"
    assert ray_a["settings"] == local_a["settings"]
    assert ray_a["limitsEnforced"] == local_a["limitsEnforced"]
    # The recommendation rounds a noisy basis (a percentile of per-second CPU, the peak
    # working set) up to a step: two honest runs can land one step apart, never more.
    settings = ray_a["settings"]
    assert abs(ray_a["recommendedCpu"] - local_a["recommendedCpu"]) <= settings["cpu_step"] + 1e-9
    assert (
        abs(ray_a["recommendedMemoryInGB"] - local_a["recommendedMemoryInGB"])
        <= settings["memory_step_gb"] + 1e-9
    )
    # the profile came back whole: request with the driver's paths, series, log
    request = ray_store.profiles.get("a").request
    assert request["entryScript"] == str(sources / "burn.py")
    assert {"samples", "windows"} <= set(ray_store.profiles.series_kinds("a"))
    assert "servesize.serving" in ray_store.profile_log_path("a").read_text()

    held = {n: ray_store.profiles.get(n).details for n in ("a", "b")}
    for details in held.values():
        cores = set(details["nodeCpus"])
        assert set(details["serviceCpus"]) | set(details["generatorCpus"]) <= cores
        assert not set(details["serviceCpus"]) & set(details["generatorCpus"])
        assert details["node"]
        assert details["rayNodeId"]
    for (_, one), (_, two) in itertools.combinations(held.items(), 2):
        (s1, e1), (s2, e2) = _interval(one), _interval(two)
        if s1 < e2 and s2 < e1:  # overlapping in time: never a shared core
            assert not set(one["nodeCpus"]) & set(two["nodeCpus"])
    if len(psutil.Process().cpu_affinity() or []) <= 2:
        # each needs 2 cores (service + generator) and Ray would run both at once: on a
        # 2-core machine the allocator must have made one wait for the other
        (s1, e1), (s2, e2) = _interval(held["a"]), _interval(held["b"])
        assert e1 <= s2 or e2 <= s1


# Both ways in: the Ray Client (ray://) does not pass ray.cancel on to a running task,
# so the trials also watch the sweep's stop flag.
@pytest.mark.parametrize("client", [False, True], ids=["direct", "ray-client"])
@pytest.mark.untimed
def test_ctrl_c_cancels_running_trials_and_leaves_nothing(
    ray_head: RayHead, workspace: Path, sources: Path, tmp_path: Path, client: bool
) -> None:
    address = ray_head.client_address if client else ray_head.address
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        [{"name": "long", "entry_script": "src/trivial.py"}],
        duration=120,
        min_queries=100000,
    )
    proc = subprocess.Popen(
        ray_head.enter(cli("sweep", "run", str(sweep), "--ray-address", address,
                           "--workspace", str(workspace))),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    service = _wait_for_service(ray_head, "trivial.py", proc)
    worker = service.ppid()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert not psutil.pid_exists(service.pid) or service.status() == psutil.STATUS_ZOMBIE
    record = Store.open(workspace).profiles.get("long")
    assert record.state == "Cancelled", record.details.get("error")
    assert record.details.get("nodeCpus")  # the node's figures came back
    support = detect()
    left = [
        entry
        for parent in set(support.parents.values())
        if parent.is_dir()
        for entry in parent.iterdir()
        if entry.name.startswith(f"servesize-{worker}-")
    ]
    assert not left, f"cgroups left behind: {left}"


def _wait_for_service(head: RayHead, script: str, proc: subprocess.Popen[str]) -> psutil.Process:
    """The trial's scoring service running ``script``, once it runs on the node (in its
    temporary folder). Only the head's descendants: other tests' trials may run now."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for candidate in psutil.Process(head.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):  # short-lived helpers may be gone
                cmd = candidate.cmdline()
                if "servesize.serving" in cmd and any(
                    "servesize-trial-" in a and a.endswith(script) for a in cmd
                ):
                    return candidate
        time.sleep(0.2)  # polling for the trial to start, bounded by the deadline
    raise AssertionError(f"no trial service started for {script}")


@pytest.mark.untimed
def test_a_dead_worker_fails_its_trial_and_the_sweep_goes_on(
    ray_head: RayHead, workspace: Path, sources: Path, tmp_path: Path
) -> None:
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        [
            {"name": "victim", "entry_script": "src/trivial.py", "duration": 120,
             "min_queries": 100000},
            {"name": "after", "entry_script": "src/burn.py"},
        ],
    )  # fmt: skip
    proc = subprocess.Popen(
        ray_head.enter(cli("sweep", "run", str(sweep), "--ray-address", ray_head.address,
                           "--workspace", str(workspace))),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    service = _wait_for_service(ray_head, "trivial.py", proc)
    worker = psutil.Process(service.ppid())
    worker.kill()  # the node loses the worker mid-trial (as an OOM kill or a crash would)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 9, err  # not every trial succeeded
    store = Store.open(workspace)
    victim = store.profiles.get("victim")
    assert victim.state == "Failed"
    assert "worker running this trial died" in victim.details["error"]["message"]
    # its cores came back (the allocator saw its holder die): the other trial ran
    assert store.profiles.get("after").state == "Succeeded"
    # the kernel killed the victim's service with its worker (PR_SET_PDEATHSIG)
    assert not psutil.pid_exists(service.pid) or service.status() == psutil.STATUS_ZOMBIE
