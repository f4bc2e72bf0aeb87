"""Sizing against ground truth: real services under real cgroup limits, real load.

A script that burns 10 ms of CPU per request needs 0.4 cores at 40 q/s just to keep
up; the CFS quota's tail effect puts the answer for p99 <= 150 ms a little above.
The recommendation must not depend on the upper bound the user gave, an impossible
objective must say so, and a BLAS model must get its threads matched to its cores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servesize.profiling.limits import detect
from servesize.report import ProfileView, render
from servesize.sdk import InferenceConfig, ModelProfile, profile
from servesize.workspace import Store

from .quick import ONE_CAPACITY_STEP

SCRIPTS = Path(__file__).parent / "scripts"

SHORT: dict[str, Any] = {
    **ONE_CAPACITY_STEP,
    "min_duration": 4.0,
    "min_queries": 100,
    "request_timeout": 5.0,
    "trial_duration": 4.0,
    "confirm_duration": 6.0,
}

# a sizing search judges each trial for contention (a busy machine ends it undecided):
# every test here measures
pytestmark = [pytest.mark.slow, pytest.mark.cgroups, pytest.mark.timing]


@pytest.fixture(autouse=True)
def _cgroups() -> None:
    if detect().version is None:
        pytest.skip("no writable cgroups here: sizing needs limits it can change")


def _profile(store: Store, name: str, script: str, **kwargs: Any) -> ModelProfile:
    config = InferenceConfig(entry_script=str(SCRIPTS / script), source_directory=str(SCRIPTS))
    settings = {**SHORT, **kwargs}
    result = profile(store, name, ["m"], config, "rows", memory_in_gb=1.0, **settings)
    result.wait_for_completion(timeout=400)
    assert result.state == "Succeeded", result.get_details().get("error")
    return result


def _skip_if_the_machine_is_busy(d: dict[str, Any]) -> None:
    """Ground truth needs the CPU it asks for: on a machine so busy that 10 ms of CPU
    takes over twice as long one request at a time, no allocation can meet the truth."""
    busy = [r for r in d.get("validityReasons", []) if "machine was busy" in r]
    alone = next(r for r in d["sizing"] if str(r.get("phase", "")).startswith("capacity"))
    stretched = float(alone["latencyPercentile50InMs"]) > 2 * 10.0
    if busy or stretched:
        pytest.skip(
            "the machine is too busy for ground truth: one request at a time took "
            f"{alone['latencyPercentile50InMs']} ms for 10 ms of CPU; {busy}"
        )
    # the generator could not keep its schedule, measured twice (a machine that refuses
    # it real-time priority and is noisy, as CI's was once): the profile rightly gives no
    # answer, and there is no ground truth to compare
    late = [r for r in d.get("validityReasons", []) if "keep its schedule" in r]
    if late and "recommendedCpu" not in d:
        pytest.skip(f"the load generator could not keep its schedule here: {late}")


def test_ten_ms_of_cpu_at_40_per_second_needs_six_tenths_of_a_core(store: Store) -> None:
    # One profile from the default bound: the suite's budget (10 minutes) holds one.
    # bench/sizing_truth.py runs the same profile from bounds 1.0 and 0.8, five times
    # each, and records that the answer does not depend on the bound (RESULTS-sizing.md)
    result = _profile(
        store, "burn", "burn.py", cpu=1.0, qps=40.0, slo="p99=150ms",
        extra_env={"BURN_MS": "10"}, cold_cost=True,
    )  # fmt: skip
    d = result.get_details()
    assert d["latencyObjective"] == "p99<=150ms"
    _skip_if_the_machine_is_busy(d)
    # a request that burns the same CPU however long the service idled: the cold-cost
    # step finds none (or little: the server's own share of a request may cool), and
    # the step does not steer the search (the sizing's model charges every request alike)
    cold = d["sizingModel"]
    assert cold["coldCost"]["loneCpuMs"] > 0
    assert (cold["coldExtra"] or 0.0) <= 0.25, cold["coldCost"]
    assert d["recommendedReplicas"] == 1, d["sizing"]
    # 0.4 cores is the bare CPU need; 0.6 is the answer (10 of 10 default profiles,
    # bench/RESULTS-sizing.md, since a met must last ten relaxation times of the
    # queue). 0.5 misses: 4.1% of requests over 150 ms in two 60 s runs
    # (bench/truth_share.py); before that rule one profile in ten was decided met
    # there on 19 s of quiet (1 of 704 over). The counts are bench/'s; this test
    # keeps a margin for a busy CI machine rather than fail on one such run
    assert 0.5 <= d["recommendedCpu"] <= 0.8, d["sizing"]
    assert d["recommendedWorkers"] == 1
    assert d["recommendedThreads"] == 1
    # the confirmation ran under exactly the recommendation and decided sloMet
    # (undecided: no sloMet at all, as every figure that has no value)
    assert d["confirmation"]["requestedCpu"] == d["recommendedCpu"]
    # its start under exactly those limits: a new replica's readiness, for plans
    assert 0 < d["confirmation"]["coldStartSeconds"] < 60
    assert d.get("sloMet") is {"met": True, "missed": False}.get(d["sloDecision"])
    assert d["sloConfidence"] == 0.95
    decision = d["confirmation"]["decision"]
    assert decision["decision"] == d["sloDecision"]
    # the decision that stopped the run: the requests of the seconds closed by then
    assert 0 <= decision["overLimit"] <= decision["n"] <= d["confirmation"]["totalQueries"]
    measured = [r for r in d["sizing"] if r["source"] == "measured"]
    assert any(r["cpu"] == d["recommendedCpu"] for r in measured)
    # every open-loop run has its objective percentile, the measurement at the bound too
    at_bound = next(r for r in measured if r["phase"] == "measurement")
    assert at_bound["objectiveLatencyInMs"] == at_bound["latencyPercentile99InMs"]
    view = ProfileView.from_store(store, "burn")
    csv = render(view, "csv-sizing").splitlines()
    assert csv[0].startswith("cpu,workers,threads,queriesPerSecond")
    assert len(csv) - 1 == len(view.details["sizing"])
    assert "replicas: 1" in render(view, "k8s")
    assert "Rate within the objective against cores" in render(view, "html")


def test_an_impossible_objective_is_said_plainly(store: Store) -> None:
    result = _profile(
        store, "too-fast", "burn.py", cpu=1.0, qps=20.0, slo="p99=2ms",
        extra_env={"BURN_MS": "10"},
    )  # fmt: skip
    d = result.get_details()
    assert d["sloMet"] is False
    assert "recommendedCpu" not in d
    assert "recommendedReplicas" not in d
    assert d["bestLatencyInMs"] > 2.0
    assert "p99<=2ms" in d["sizingNote"]
    assert "no recommendation" in d["sizingNote"]


def test_blas_threads_follow_the_allocation(store: Store, tmp_path: Path) -> None:
    record = tmp_path / "threads.jsonl"
    result = _profile(
        store, "blas", "matmul.py", cpu=1.0, qps=10.0, slo="p90=500ms",
        extra_env={"THREADS_FILE": str(record)},
        # the threads are under test, not the search: 40 requests a measurement (4 s, not
        # 10 s at 10/s) and undecided trials end early
        min_queries=40, trial_max_seconds=8.0, confirm_max_seconds=10.0, confirmations=1,
    )  # fmt: skip
    d = result.get_details()
    assert d["recommendedThreads"] == 1
    launches = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(launches) >= 2  # the bound and the confirmation at least
    assert all(launch["blas"] == [1] and launch["omp"] == "1" for launch in launches)
    assert "OPENBLAS_NUM_THREADS" in render(ProfileView.from_store(store, "blas"), "k8s")
