"""``servesize profile plan`` on a stored sized profile (no service runs: --no-confirm),
its output, the plan it stores, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from servesize.workspace import Store

from .conftest import Run

#: what a sizing leaves in the details, before serviceTimesMs was stored (the plan reads
#: the mean as exponential service times)
SIZED = {
    "recommendedCpu": 0.5,
    "recommendedMemoryInGB": 0.5,
    "recommendedWorkers": 1,
    "latencyObjective": "p90<=80ms",
    "cpuSecondsPerQuery": 0.01,
    "coldStartSeconds": 3.0,
    "sizingModel": {"serviceTimeMeanInMs": 10.0, "cpuFraction": 1.0, "overheadInMs": 1.0},
}


@pytest.fixture
def stored(workspace: Path) -> Path:
    store = Store.open(workspace)
    store.profiles.create("sized", None, {})
    store.profiles.update("sized", state="Succeeded", details=SIZED)
    store.profiles.create("tight", None, {})
    store.profiles.update(
        "tight", state="Succeeded", details={**SIZED, "latencyObjective": "p90<=30ms"}
    )
    store.profiles.create("failed", None, {})
    store.profiles.update("failed", state="Failed", details={})
    return workspace


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    # seconds, one a line: 10/s for 5 minutes, 45/s for 2, 15/s for 5 (Poisson)
    rng = np.random.default_rng(2)
    parts = [
        rng.uniform(a, a + n, int(n * r))
        for a, n, r in ((0, 300, 10), (300, 120, 45), (420, 300, 15))
    ]
    path = tmp_path / "trace.txt"
    path.write_text("\n".join(f"{t:.4f}" for t in np.sort(np.concatenate(parts)) * 2) + "\n")
    return path


def test_plan_prints_and_stores_the_plan(run: Run, stored: Path, trace: Path) -> None:
    result = run(
        "profile", "plan", "sized", "--traffic", str(trace), "--traffic-speed", "2", "--no-confirm"
    )
    assert result.code == 0, result.err
    assert "target" in result.out
    assert "replica-hours (hpa)" in result.out
    assert "skipped: confirmation was turned off" in result.out
    details = json.loads(run("profile", "show", "sized", "--json").out)
    assert details["traffic"]["speed"] == 2.0
    assert details["traffic"]["requests"] > 0
    assert details["autoscaling"]["autoscaler"] == "hpa"
    assert details["recommendedCpu"] == 0.5  # the profile's own figures are kept
    keda = run(
        "profile", "plan", "sized", "--traffic", str(trace), "--autoscaler", "keda",
        "--no-confirm", "--json", "--setting", "attainment=0.95",
    )  # fmt: skip
    doc = json.loads(keda.out)
    assert doc["autoscaling"]["autoscaler"] == "keda"
    assert doc["autoscaling"]["predicted"]["requiredAttainment"] == 0.95
    assert "requestRate" in doc["autoscaling"]["timeline"][1]


def test_a_trace_in_milliseconds_since_the_epoch_plans_as_its_seconds(
    run: Run, stored: Path, trace: Path, tmp_path: Path
) -> None:
    seconds = np.array([float(x) for x in trace.read_text().split()])
    epoch_ms = tmp_path / "epoch-ms.txt"  # as a log keeps them: 1.7e12 and up
    epoch_ms.write_text("\n".join(str(1_700_000_000_000 + round(t * 1000)) for t in seconds))
    plans = {}
    for path in (trace, epoch_ms):
        out = run("profile", "plan", "sized", "--traffic", str(path), "--no-confirm", "--json")
        assert out.code == 0, out.err
        plans[path.name] = json.loads(out.out)
    read, given = plans["epoch-ms.txt"]["traffic"], plans["trace.txt"]["traffic"]
    assert (read["timeUnit"], given["timeUnit"]) == ("ms", "s")
    assert read["requests"] == given["requests"]
    assert read["durationSeconds"] == pytest.approx(given["durationSeconds"], abs=0.002)
    assert plans["epoch-ms.txt"]["autoscaling"]["hpa"] == plans["trace.txt"]["autoscaling"]["hpa"]
    report = run("profile", "report", "sized", "--format", "md", "--output", "-")
    assert "(times read as ms since the epoch)" in report.out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sized", "--traffic", "missing.txt"], 2, "missing.txt"),
        (["nope", "--traffic", "TRACE"], 3, "no profile named 'nope'"),
        (["failed", "--traffic", "TRACE"], 2, "only a profile that succeeded"),
        (["sized", "--traffic", "TRACE", "--autoscaler", "vpa"], 2, "unknown autoscaler"),
        (["sized", "--traffic", "TRACE", "--setting", "sync=5"], 2, "unknown plan setting"),
        (
            ["sized", "--traffic", "TRACE", "--setting", "beyond_measured=-1"],
            2,
            "beyond_measured must be 0 (no limit) or more, not -1",
        ),
        # exponential service times of 10 ms: 99% within 30 ms is out of reach at any rate
        (
            ["tight", "--traffic", "TRACE", "--setting", "attainment=0.99"],
            2,
            "cannot put 99.0% of requests within 30 ms",
        ),
    ],
)
def test_mistakes_get_one_line(
    run: Run, stored: Path, trace: Path, args: list[str], code: int, message: str
) -> None:
    args = [str(trace) if a == "TRACE" else a for a in args]
    result = run("profile", "plan", *args, "--no-confirm")
    assert result.code == code
    assert message in result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) <= 2
