"""The verdict against real services: it must not fail correct runs by chance, and it
must fail runs that cannot be trusted (a service that cannot keep up, a busy machine).

"Alone is VALID" assumes a quiet machine: those tests are marked ``timing``, which
``make test`` runs alone after the others; on a shared machine the contention rule
rightly fails them. The tests of runs that must be INVALID hold on a busy machine too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servesize.profiling.limits import detect, plan_cpus
from servesize.sdk import InferenceConfig, ModelProfile, profile
from servesize.workspace import Store

SCRIPTS = Path(__file__).parent / "scripts"
CHILDREN = Path(__file__).parent / "children"

# the cheapest honest profile: a 5 s measurement of at least 150 queries, a capacity
# search of one 1 s concurrency step (one window, so stable; its stability is not under
# test here), a 5 s confirmation
CHEAP: dict[str, Any] = {
    "min_duration": 5.0,
    "min_queries": 150,
    "capacity_step_seconds": 1.0,
    "stable_windows": 1,
    "max_concurrency": 1,
    "confirm_duration": 5.0,
    "sizing": False,  # the verdict is under test, not the search
    "warmup_max_seconds": 5.0,
    "request_timeout": 5.0,
}

pytestmark = [pytest.mark.slow, pytest.mark.cgroups]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    if detect().version is None:
        pytest.skip("no writable cgroups here")
    store = Store.open(tmp_path / "ws")
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"weights")
    store.models.register("m", weights)
    store.datasets.register("rows", [json.dumps({"data": [[i, i + 1]]}) for i in range(20)])
    return store


def _profile(store: Store, name: str, script: str, **kwargs: Any) -> ModelProfile:
    config = InferenceConfig(entry_script=str(SCRIPTS / script), source_directory=str(SCRIPTS))
    env = kwargs.pop("env", {})
    result = profile(store, name, ["m"], config, "rows", extra_env=env, **{**CHEAP, **kwargs})
    result.wait_for_completion(timeout=300)
    assert result.state == "Succeeded", result.get_details().get("error")
    return result


def _reasons(result: ModelProfile) -> list[str]:
    return list(result.get_details()["validityReasons"])


#: How many light profiles the verdict must pass, all of them (see the test's docstring).
LIGHT_PROFILES = 10


@pytest.mark.timing
@pytest.mark.timeout(600)  # ten profiles of ~5 s each
def test_light_profiles_at_60_per_second_are_all_valid(store: Store) -> None:
    """10 of 10 light profiles VALID: the verdict does not fail correct runs by chance.

    A count with its binomial interval: with none of n = 10 INVALID, the rate at which
    the verdict fails a correct light profile is below 26% at 95% confidence (the
    one-sided Clopper-Pearson bound, 1 - 0.05 ** (1 / n)). Until the suite had to fit in
    10 minutes this ran 20 (below 14%); bench/RESULTS-lateness.md measures the
    generator's lateness, the rule that fails most of these, over far more requests.
    """
    # the old rule (achieved rate within 5% of the nominal one) failed about one in
    # four of these by the Poisson count's spread alone.  The confirmation is judged
    # by the same rules (verdict.judge_run, tested on its own in test_verdict.py), so
    # these measurements test them without as many confirmations' time
    # the same 150 requests a measurement as at 30/s in half the time (the suite's
    # budget): still a light load, 60 of the trivial script's thousands a second
    invalid = {}
    for i in range(LIGHT_PROFILES):
        # a schedule of its own each (seed i): the verdict meets ten Poisson draws
        result = _profile(
            store, f"light-{i}", "trivial.py", cpu=1.0, qps=60.0, min_duration=2.5, confirm=False,
            seed=100 * i,
        )  # fmt: skip
        if _reasons(result):
            invalid[result.name] = _reasons(result)
    assert invalid == {}


@pytest.mark.untimed
def test_a_service_that_cannot_keep_up_is_invalid(store: Store) -> None:
    # 20 ms of CPU a request under half a core: about 25/s at most, asked for 40/s
    result = _profile(
        store, "overloaded", "burn.py", env={"BURN_MS": "20"}, cpu=0.5, qps=40.0, confirm=False
    )
    details = result.get_details()
    assert details["validity"] == "INVALID"
    assert any("the service could not keep up" in r for r in _reasons(result))
    # it used what it got of the half core: the usage-based recommendation stops at the
    # bound, and says so when the usage with its margin went past it (whether it did is
    # the percentile of the per-second usage, which a busy machine lowers: the peak
    # second alone does not tell, as a run with 0.45 at its peak and no cap showed)
    assert details["recommendedCpu"] <= 0.5
    if "capped at that bound" in details["sizingNote"]:
        assert details["recommendedCpu"] == 0.5
    assert details["backlogAtScheduleEnd"] > 0.2 * details["scheduledQueries"]
    assert details["throttledSeconds"] >= 0
    if details["cpuContentionShare"] < 0.05:
        # the quota did the limiting (on a busy machine the others can take the CPU
        # before the service spends its quota)
        assert details["throttledShare"] > 0.5


@pytest.fixture
def hog() -> Iterator[None]:
    """A busy loop pinned to the CPUs a 1-core profile gives its service."""
    cpus = plan_cpus(1.0).service
    proc = subprocess.Popen(
        [sys.executable, str(CHILDREN / "busy.py")],
        stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, set(cpus)),
    )
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


# 10 ms of CPU a request at 20/s: a fifth of a core, enough work for a hog to delay;
# constant arrivals 50 ms apart never overlap, so only the CPU is under test here
BUSY_SERVICE: dict[str, Any] = {
    "env": {"BURN_MS": "10"}, "cpu": 1.0, "qps": 20.0, "arrival": "constant",
    "min_queries": 100, "confirm": False,
}  # fmt: skip


@pytest.mark.usefixtures("hog")
@pytest.mark.untimed
def test_a_cpu_hog_on_the_service_cpus_makes_the_profile_invalid(store: Store) -> None:
    result = _profile(store, "hogged", "burn.py", **BUSY_SERVICE)
    details = result.get_details()
    assert details["validity"] == "INVALID"
    busy = [r for r in _reasons(result) if r.startswith("the machine was busy")]
    assert busy, _reasons(result)
    assert details["cpuContentionShare"] > 0.05
    assert f"{details['cpuContentionShare']:.1%}" in busy[0]
    assert details["phaseFigures"]["measurement"]["cpuContentionShare"] > 0.05


@pytest.mark.timing
def test_the_same_profile_alone_is_valid(store: Store) -> None:
    result = _profile(store, "alone", "burn.py", **BUSY_SERVICE)
    details = result.get_details()
    assert _reasons(result) == []
    assert details["cpuContentionShare"] < 0.01
