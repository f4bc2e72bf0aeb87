"""The whole procedure against real services, real limits and ground-truth scripts.

Each profile here is shortened by settings (a few seconds a phase) but otherwise
real: a real child process under real cgroup limits, real HTTP, real load.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from servesize.errors import EntryScriptError, InvalidInputError, NotFoundError
from servesize.profiling._service import cpu_model, kernel_hz
from servesize.profiling.limits import detect
from servesize.sdk import InferenceConfig, ModelProfile, profile
from servesize.workspace import Store

from .limits_helpers import cgroups_of
from .quick import ONE_CAPACITY_STEP

SCRIPTS = Path(__file__).parent / "scripts"
GIB = 1 << 30
MIB = 1 << 20

FAST: dict[str, Any] = {
    **ONE_CAPACITY_STEP,
    "min_duration": 3.0,
    "min_queries": 30,
    "confirm_duration": 2.0,
    "request_timeout": 2.0,
    # the sizing search has its own tests (test_sizing_runs.py); these test the procedure
    "sizing": False,
}

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    """Children that outlive a test are its leak; earlier ones are not."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert left == [], f"processes left behind: {left}"


def _run(
    store: Store,
    name: str,
    script: str,
    *,
    dataset: str = "rows",
    env: dict[str, str] | None = None,
    cpu: float | None = None,
    memory_in_gb: float | None = None,
    **settings: Any,
) -> ModelProfile:
    config = InferenceConfig(entry_script=str(SCRIPTS / script), source_directory=str(SCRIPTS))
    result = profile(
        store,
        name,
        ["m"],
        config,
        dataset,
        cpu=cpu,
        memory_in_gb=memory_in_gb,
        extra_env=env or {},
        **{**FAST, **settings},
    )
    result.wait_for_completion(timeout=180)
    _assert_no_cgroup_left()
    return result


def _assert_no_cgroup_left() -> None:
    # only ours: other test processes may hold cgroups of their own right now
    left = cgroups_of(os.getpid())
    assert left == [], f"cgroups left behind: {left}"


@pytest.mark.timing
def test_cpu_use_matches_a_script_that_burns_known_cpu(store: Store) -> None:
    # 20 ms of CPU per request at 10 requests/s: 0.2 cores, 0.020 s per query
    result = _run(
        store,
        "burn",
        "burn.py",
        env={"BURN_MS": "20"},
        cpu=1.0,
        qps=10.0,
        arrival="constant",
        min_duration=6.0,
        min_queries=50,
    )
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["cpuSecondsPerQuery"] == pytest.approx(0.020, rel=0.10)
    assert details["averageUtilizedCpu"] == pytest.approx(0.2, rel=0.10)
    assert details["recommendedCpu"] >= 0.2


@pytest.mark.untimed
def test_peak_memory_matches_what_init_allocates(store: Store) -> None:
    quick: dict[str, Any] = {"qps": 5.0, "confirm": False, "min_queries": 15}
    baseline = _run(store, "alloc-0", "alloc.py", env={"ALLOC_MB": "0"}, **quick)
    loaded = _run(store, "alloc-300", "alloc.py", env={"ALLOC_MB": "300"}, **quick)
    base = baseline.get_details()["maxUtilizedMemoryInGB"]
    peak = loaded.get_details()["maxUtilizedMemoryInGB"]
    assert (peak - base) * GIB == pytest.approx(300 * MIB, rel=0.10)
    assert loaded.get_details()["recommendedMemoryInGB"] >= peak


@pytest.mark.timing
@pytest.mark.cgroups
def test_half_a_core_halves_the_sustainable_rate(store: Store) -> None:
    if detect().version is None:
        pytest.skip("no writable cgroups here")
    # longer capacity steps than FAST: the quota is enforced per 100 ms period, and a
    # rate read over a couple of seconds carries the first period's burst
    slow: dict[str, Any] = {
        "capacity_step_seconds": 4.0,
        "stable_windows": 3,
        # the measurement is not judged here: 10/s (0.1 cores of the 0.5) fills its
        # 30 queries in its 3 s minimum; 5/s took 6 s
        "qps": 10.0,
        "confirm": False,
    }
    full = _run(store, "q-1", "burn.py", env={"BURN_MS": "10"}, cpu=1.0, **slow)
    half = _run(store, "q-05", "burn.py", env={"BURN_MS": "10"}, cpu=0.5, **slow)
    ratio = (
        half.get_details()["maxSustainableQueriesPerSecond"]
        / full.get_details()["maxSustainableQueriesPerSecond"]
    )
    assert ratio == pytest.approx(0.5, rel=0.15)


@pytest.mark.untimed
def test_a_complete_profile_has_the_azure_keys_and_a_verdict(store: Store) -> None:
    result = _run(store, "full", "trivial.py", cpu=1.0, memory_in_gb=1.0)
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    azure = {
        "requestedCpu",
        "requestedMemoryInGB",
        "requestedQueriesPerSecond",
        "maxUtilizedMemoryInGB",
        "maxUtilizedCpu",
        "totalQueries",
        "successQueries",
        "successRate",
        "averageLatencyInMs",
        "latencyPercentile50InMs",
        "latencyPercentile90InMs",
        "latencyPercentile95InMs",
        "latencyPercentile99InMs",
        "latencyPercentile999InMs",
        "measuredQueriesPerSecond",
        "state",
        "name",
        "createdTime",
        "recommendedMemoryInGB",
        "recommendedCpu",
    }
    assert azure <= set(details)
    assert details["requestedCpu"] == 1.0
    assert details["requestedMemoryInGb"] == details["requestedMemoryInGB"] == 1.0
    assert details["successRate"] == 1.0
    assert details["validity"] in ("VALID", "INVALID")
    assert details["coldStartSeconds"] > 0
    assert details["machine"]["cpuModel"] == cpu_model()  # where the figures came from
    assert details["machine"]["kernelHz"] == kernel_hz()  # the quota's granularity
    # the CPU's speed, timed beside the service from the start: every run has a figure
    assert details["machineSpeed"]["probeCpu"] == details["serviceCpus"][0]
    assert details["machineSpeed"]["loops"] > 20
    assert details["machineSlowdown"] > 0
    measured = [r for r in details.get("sizing", []) if r["source"] == "measured"]
    assert all(r["machineSlowdown"] > 0 for r in measured if r["phase"] == "sizing")
    # the host alone, measured the same way: a trivial script adds little to it
    assert 0 < details["hostIdleMemoryInGB"] <= details["idleMemoryInGB"] * 1.5
    if details["limitsEnforced"]:
        assert details["confirmation"]["requestedCpu"] == details["recommendedCpu"]
        assert details["confirmation"]["coldStartSeconds"] > 0  # started under them
        assert details["recommendationLatencyInMs"] > 0
    record = result.serialize()
    assert record["modelIds"] == ["m:1"]
    assert record["inputDatasetId"] == "rows:1"
    again = ModelProfile(store, "full")
    assert again.get_details() == details
    assert store.profiles.get_series("full", "samples")
    steps = store.profiles.get_series("full", "capacity")
    assert steps
    if details["limitsEnforced"]:
        # each step's share of the quota, from the cgroup's counter (a trivial script
        # at one core uses part of it; never much more than all of it)
        assert all(0 < row["quotaShareUsed"] <= 1.1 for row in steps), steps


@pytest.mark.timing
def test_without_cgroups_it_runs_unlimited_measures_and_says_so(store: Store) -> None:
    result = _run(
        store, "free", "burn.py", env={"BURN_MS": "20"}, qps=10.0, arrival="constant",
        min_duration=6.0, min_queries=50, cgroups=False,
    )  # fmt: skip
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["limitsEnforced"] is False
    assert "psutil" in details["limitsNote"]
    assert "skipped" in details["confirmation"]
    # measured over the process tree instead of the cgroup, still close to the truth
    assert details["averageUtilizedCpu"] == pytest.approx(0.2, rel=0.15)
    assert details["maxUtilizedMemoryInGB"] > 0


@pytest.mark.untimed
def test_two_profiles_with_one_seed_send_the_same_schedule(store: Store, tmp_path: Path) -> None:
    """The service records when each request arrives; the measurement is the last
    run on the first long-lived process (no sizing, no confirmation)."""
    measured = []
    for i in range(2):
        out = tmp_path / f"arrivals{i}"
        result = _run(
            store, f"seeded{i}", "arrivals.py", env={"ARRIVALS_FILE": str(out)},
            qps=25.0, seed=11, confirm=False,
        )  # fmt: skip
        details = result.get_details()
        assert result.state == "Succeeded", details.get("error")
        files = sorted(tmp_path.glob(f"arrivals{i}.*"), key=lambda f: f.stat().st_size)
        times = [float(line) for line in files[-1].read_text().split()]
        measured.append(np.diff(times[-int(details["totalQueries"]) :]))
    n = min(map(len, measured))
    assert n >= 30
    # Poisson gaps of 40 ms on average: two independent schedules' gaps are within
    # 5 ms of each other about 12% of the time, the same schedule's nearly always
    close = np.abs(measured[0][:n] - measured[1][:n]) < 0.005
    assert close.mean() > 0.8, (measured[0][:10], measured[1][:10])


@pytest.mark.untimed
def test_failing_init_fails_the_profile_with_its_log(store: Store) -> None:
    result = _run(store, "bad-init", "failing_init.py")
    details = result.get_details()
    assert result.state == "Failed"
    message = details["error"]["message"]
    # one line naming the cause and the log, not a wrapped traceback (issue 13)
    assert message.startswith("init() failed: RuntimeError: model file is corrupt (service exited")
    assert "\n" not in message
    log = Path(details["errorLogsUri"].removeprefix("file://")).read_text()
    assert "model file is corrupt" in log


@pytest.mark.untimed
def test_a_crash_mid_run_fails_and_keeps_partial_metrics(store: Store) -> None:
    result = _run(store, "crash", "crash.py", env={"CRASH_AFTER": "60"})
    details = result.get_details()
    assert result.state == "Failed"
    assert "exited" in details["error"]["message"]
    assert details["coldStartSeconds"] > 0
    assert details["warmup"]["totalQueries"] == 20


@pytest.mark.cgroups
@pytest.mark.untimed
def test_an_oom_kill_is_reported_and_memory_bumped(store: Store) -> None:
    if detect().version is None:
        pytest.skip("no writable cgroups here")
    result = _run(store, "oom", "leak.py", env={"LEAK_MB": "20"}, memory_in_gb=0.25)
    details = result.get_details()
    assert details["oomKilled"] is True
    assert details["recommendedMemoryInGB"] >= 0.3  # max(0.25 x 1.2, 0.25 GB + 100 MiB)
    assert result.state == "Failed"


@pytest.mark.untimed
def test_rows_the_script_rejects_lower_the_success_rate(store: Store) -> None:
    result = _run(store, "partial", "partial.py", dataset="some-bad")
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["successRate"] < 1.0
    # rows go out round-robin: one request in 11 carries the rejected row
    share = details["errorsByStatus"]["500"] / details["totalQueries"]
    assert share == pytest.approx(1 / 11, abs=0.02)
    # counted by the host, not logged once per request (issue 13)
    (counted,) = details["runErrors"]
    assert counted["type"] == "ValueError"
    assert counted["message"] == "cannot score this row"
    assert counted["count"] >= details["errorsByStatus"]["500"]
    log = Path(details["errorLogsUri"].removeprefix("file://")).read_text()
    # one traceback per launch of the service, each launch ending with its count
    assert log.count("Traceback (most recent call last)") == log.count("run() errors: ") >= 1


@pytest.mark.untimed
def test_a_hanging_run_is_counted_as_timeouts(store: Store) -> None:
    result = _run(
        store, "hang", "hang.py", dataset="some-hang", env={"HANG_S": "1"}, request_timeout=0.5,
        max_concurrency=2,  # one connection held by a hanging row would stall the step
        warmup_max_seconds=2.0,  # it does not settle: each 11th row hangs
    )  # fmt: skip
    details = result.get_details()
    assert result.state in ("Succeeded", "Failed")
    kinds = {**(details.get("errorsByKind") or {}), **details["warmup"].get("errorsByKind", {})}
    assert kinds.get("timeout", 0) > 0


@pytest.mark.untimed
def test_a_profile_past_its_time_limit_times_out(store: Store) -> None:
    result = _run(store, "slow", "trivial.py", min_duration=120.0, max_profile_seconds=6.0)
    details = result.get_details()
    assert result.state == "TimedOut"
    assert "6 s" in details["error"]["message"]
    assert details["coldStartSeconds"] > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"cpu": 0}, InvalidInputError, "cpu must be positive"),
        ({"cpu": -1.0}, InvalidInputError, "cpu must be positive"),
        ({"memory_in_gb": 0.01}, InvalidInputError, "idle need"),
        ({"cpu": "1"}, InvalidInputError, "cpu must be a number"),
        ({"confirm": "no"}, InvalidInputError, "confirm='no' is not allowed"),
        ({"arrival": "burst"}, InvalidInputError, "arrival='burst'"),
        ({"script": "no_run.py"}, EntryScriptError, "run"),
        ({"model": "nope"}, NotFoundError, "nope"),
        ({"dataset": "nope"}, NotFoundError, "nope"),
    ],
)
def test_bad_arguments_fail_before_anything_starts(
    store: Store, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    script = kwargs.pop("script", "trivial.py")
    model = kwargs.pop("model", "m")
    dataset = kwargs.pop("dataset", "rows")
    config = InferenceConfig(entry_script=str(SCRIPTS / script))
    with pytest.raises(error, match=match):
        profile(store, "bad", [model], config, dataset, **kwargs)
    assert [p.name for p in store.profiles.list()] == []
