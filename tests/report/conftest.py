"""Realistic profiles built in code: every state and oddity a report must render."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from servesize.report import ProfileView

KINDS = ("valid", "invalid", "failed", "cancelled", "unenforced", "oom")

PHASES = (
    ("coldstart", 0.0, 2.0),
    ("warmup", 2.0, 5.0),
    ("capacity", 5.0, 35.0),
    ("measurement", 35.0, 95.0),
    ("confirmation", 95.0, 110.0),
)


def _samples(rng: random.Random, end: float, oom_at: float | None = None) -> list[dict[str, Any]]:
    rows, kills = [], 0
    for i in range(int(end * 10)):
        t = round(i * 0.1, 1)
        phase = next(p for p, a, b in PHASES if a <= t < b)
        load = {
            "coldstart": 0.9,
            "warmup": 0.3,
            "capacity": 0.85,
            "measurement": 0.45,
            "confirmation": 0.42,
        }[phase]
        memory = min(0.1 + t * 0.05, 0.35) + 0.03 * math.sin(t / 7) + rng.uniform(0, 0.01)
        if oom_at is not None and t >= oom_at and kills == 0:
            kills = 1
        rows.append(
            {
                "t": t,
                "phase": phase,
                "cpu": round(load + rng.uniform(-0.1, 0.1), 3),
                "memoryInGB": round(memory, 4),
                "oomKills": kills,
                "contention": round(rng.uniform(0, 0.004), 4),
                "throttled": round(rng.uniform(0, 0.1), 4) if phase != "coldstart" else 0.0,
            }
        )
    return rows


def _windows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    rows = []
    for t in range(count):
        phase = "measurement" if t < count - 10 else "confirmation"
        queries = round(40 + rng.gauss(0, 2))
        errors = 1 if t % 17 == 5 else 0
        rows.append(
            {
                "t": float(t),
                "phase": phase,
                "queries": queries,
                "successQueries": queries - errors,
                "errors": errors,
                "measuredQueriesPerSecond": float(queries),
                "latencyPercentile50InMs": round(12 + rng.uniform(-1, 1), 2),
                "latencyPercentile99InMs": round(38 + rng.uniform(-6, 9), 2),
            }
        )
    return rows


CAPACITY = [
    {
        "concurrency": 1,
        "measuredQueriesPerSecond": 18.2,
        "latencyPercentile50InMs": 10.1,
        "latencyPercentile99InMs": 18.0,
        "successRate": 1.0,
        "stable": True,
    },
    {
        "concurrency": 2,
        "measuredQueriesPerSecond": 33.5,
        "latencyPercentile50InMs": 12.0,
        "latencyPercentile99InMs": 24.5,
        "successRate": 1.0,
        "stable": True,
    },
    {
        "concurrency": 4,
        "measuredQueriesPerSecond": 47.1,
        "latencyPercentile50InMs": 17.2,
        "latencyPercentile99InMs": 38.3,
        "successRate": 1.0,
        "stable": True,
    },
    {
        "concurrency": 8,
        "measuredQueriesPerSecond": 51.0,
        "latencyPercentile50InMs": 31.4,
        "latencyPercentile99InMs": 70.2,
        "successRate": 1.0,
        "stable": True,
    },
    {
        "concurrency": 16,
        "measuredQueriesPerSecond": 52.3,
        "latencyPercentile50InMs": 60.8,
        "latencyPercentile99InMs": 141.0,
        "successRate": 0.998,
        "stable": False,
    },
]


def _histogram() -> list[dict[str, Any]]:
    rows = []
    for i in range(40):
        upper = round(10 ** (0.5 + i * 0.06), 3)  # 3.2 ms .. ~750 ms, log-spaced
        density = math.exp(-((math.log10(upper) - 1.1) ** 2) / 0.03)
        rows.append({"upperMs": upper, "count": round(2400 * density)})
    return rows


def _details(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": "sklearn ridge model, batch of 4 <rows>",
        "state": "Succeeded",
        "createdTime": "2024-05-02T10:00:00Z",
        "completedTime": "2024-05-02T10:02:00Z",
        "requestedCpu": 1.0,
        "requestedMemoryInGB": 2.0,
        "requestedQueriesPerSecond": 40.0,
        "maxUtilizedCpu": 0.61,
        "maxUtilizedMemoryInGB": 0.38,
        "totalQueries": 2400,
        "successQueries": 2397,
        "successRate": 0.99875,
        "averageLatencyInMs": 14.2,
        "latencyPercentile50InMs": 12.1,
        "latencyPercentile90InMs": 21.4,
        "latencyPercentile95InMs": 27.9,
        "latencyPercentile99InMs": 41.3,
        "latencyPercentile999InMs": 88.0,
        "serviceTimePercentile50InMs": 11.8,
        "serviceTimePercentile90InMs": 20.9,
        "serviceTimePercentile95InMs": 26.0,
        "serviceTimePercentile99InMs": 39.9,
        "serviceTimePercentile999InMs": 80.1,
        "measuredQueriesPerSecond": 39.8,
        "recommendedCpu": 0.5,
        "recommendedMemoryInGB": 0.75,
        "recommendationLatencyInMs": 23.5,
        "validity": "VALID",
        "validityReasons": [],
        "limitsEnforced": True,
        "limitsNote": "cgroup v2: cpu quota, memory limit, cpuset 1",
        "oomKilled": False,
        "coldStartSeconds": 1.84,
        "idleMemoryInGB": 0.21,
        "cpuSecondsPerQuery": 0.0112,
        "maxSustainableQueriesPerSecond": 51.0,
        "capacityConcurrency": 8,
        "lateSendShare": 0.002,
        "errorsByStatus": {"500": 2, "503": 1},
        "errorsByKind": {"timeout": 1},
        "durationSeconds": 60.3,
        "cpuContentionShare": 0.0021,
        "cpuContentionSeconds": 0.127,
        "throttledShare": 0.0417,
        "throttledSeconds": 0.512,
        "throttledPeriods": 25,
        "periods": 600,
        "phaseFigures": {
            "coldstart": {"cpuContentionShare": 0.0, "throttledShare": 0.0, "periods": 18},
            "measurement": {
                "cpuContentionShare": 0.0021,
                "throttledShare": 0.0417,
                "throttledSeconds": 0.512,
                "periods": 600,
            },
            "confirmation": {
                "cpuContentionShare": 0.0012,
                "throttledShare": 0.1512,
                "throttledSeconds": 0.93,
                "periods": 100,
            },
        },
        "workers": 1,
        "errorLogsUri": f"/tmp/ws/.servesize/profiles/{name}/service.log",
        "confirmation": {
            "requestedCpu": 0.5,
            "requestedMemoryInGB": 0.75,
            "totalQueries": 400,
            "successRate": 1.0,
            "measuredQueriesPerSecond": 39.9,
            "latencyPercentile90InMs": 23.5,
            "latencyPercentile99InMs": 44.0,
            "held": True,
        },
        "warmup": {"totalQueries": 120, "successRate": 1.0},
        "machine": {
            "cpuModel": "AMD EPYC 7763 64-Core Processor",
            "cpuCount": 2,
            "memoryInGB": 24.0,
            "cgroupVersion": "v2",
            "platform": "Linux-6.1-x86_64",
            "python": "3.11.2",
            "servesizeVersion": "0.1.0",
        },
        "environment": {
            "name": "sk",
            "version": 2,
            "cacheKey": "0123456789abcdef",
            "cached": False,
            "buildSeconds": 1.84,
            "pythonVersion": "3.11.7",
            "packages": ["joblib==1.4.2", "numpy==2.1.3", "scikit-learn==1.5.2"],
            "isolated": True,
        },
        "settings": {
            "minDurationSeconds": 60,
            "minQueries": 1024,
            "arrival": "poisson",
            "windowSeconds": 1.0,
            "safety_margin": 0.15,
            "sampleIntervalSeconds": 0.1,
            "cpuPercentile": 90,
        },
    }


def make_view(kind: str, name: str | None = None) -> ProfileView:
    """A realistic profile of the given ``kind`` (one of :data:`KINDS`)."""
    name = name or f"ridge-{kind}"
    rng = random.Random(kind)
    details = _details(name)
    series = {
        "samples": _samples(rng, 110.0),
        "windows": _windows(rng, 70),
        "capacity": [dict(r) for r in CAPACITY],
        "latency_histogram": _histogram(),
    }
    state = "Succeeded"
    if kind == "invalid":
        details.update(
            validity="INVALID",
            measuredQueriesPerSecond=31.0,
            lateSendShare=0.031,
            validityReasons=[
                "the achieved rate 31.0 q/s is 22% below the requested 40.0 q/s",
                "3.1% of requests were sent > 1 ms late",
            ],
        )
    elif kind == "failed":
        state = "Failed"
        for key in (
            "recommendedCpu",
            "recommendedMemoryInGB",
            "recommendationLatencyInMs",
            "validity",
            "validityReasons",
            "confirmation",
            "maxSustainableQueriesPerSecond",
            "capacityConcurrency",
            "measuredQueriesPerSecond",
            "totalQueries",
            "successQueries",
            "successRate",
        ):
            details.pop(key)
        details["error"] = {
            "message": "the service exited with code 3 during warm-up: "
            "init() raised FileNotFoundError: model.pkl"
        }
        series = {
            "samples": _samples(rng, 3.5),
            "windows": [],
            "capacity": [],
            "latency_histogram": [],
        }
    elif kind == "cancelled":
        state = "Cancelled"
        for key in (
            "recommendedCpu",
            "recommendedMemoryInGB",
            "recommendationLatencyInMs",
            "validity",
            "validityReasons",
            "confirmation",
        ):
            details.pop(key)
        details["error"] = {"message": "cancelled by the user (Ctrl-C) during the capacity search"}
        series["samples"] = series["samples"][:300]
        series["windows"], series["latency_histogram"] = [], []
        series["capacity"] = series["capacity"][:3]
    elif kind == "unenforced":
        details.update(
            limitsEnforced=False,
            requestedCpu=2.0,
            requestedMemoryInGB=24.0,
            limitsNote="no writable cgroup (cgroup v2 read-only): measured with psutil",
        )
    elif kind == "oom":
        details.update(
            oomKilled=True,
            recommendedMemoryInGB=2.5,
            requestedMemoryInGB=2.0,
            maxUtilizedMemoryInGB=2.0,
        )
        series["samples"] = _samples(rng, 110.0, oom_at=60.0)
    details["state"] = state
    record = {
        "id": f"{name}-id",
        "name": name,
        "state": state,
        "details": details,
        "inputDatasetId": "rows:1",
        "modelIds": ["ridge:1"],
        "environment": None,
    }
    return ProfileView(name, state, details, record, series)


@pytest.fixture(params=KINDS)
def any_view(request: pytest.FixtureRequest) -> ProfileView:
    return make_view(request.param)


@pytest.fixture
def valid_view() -> ProfileView:
    return make_view("valid")
