"""Stored figures as a profile leaves them, built in code: the choice and the cost are
pure functions of them, so these tests measure nothing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from servesize.workspace import Store

#: one worker of 1 core and 0.5 GiB carries 100/s within p99<=50ms; 300/s are asked;
#: trials measured 1 and 2 workers of 1 core each within the objective
BASE: dict[str, Any] = {
    "recommendedCpu": 1.0,
    "recommendedMemoryInGB": 0.5,
    "recommendedWorkers": 1,
    "recommendedThreads": 1,
    "recommendedReplicas": 3,
    "latencyObjective": "p99<=50ms",
    "latencyObjectiveSource": "given",
    "sloMet": True,
    "maxQueriesPerSecondWithinSlo": 100.0,
    "requestedQueriesPerSecond": 300.0,
    "coldStartSeconds": 1.4,
    "maxLatencyInMs": 80.0,
    "latencyPercentile999InMs": 60.0,
    "validity": "VALID",
    "machine": {"cpuModel": "AMD EPYC 7763 64-Core Processor", "usableCpus": 2, "cpuCount": 2},
    "serviceCpus": [0, 1],
    "sizing": [
        {"cpu": 1.0, "workers": 1, "queriesPerSecond": 100.0, "sloMet": True, "source": "measured"},
        {"cpu": 2.0, "workers": 2, "queriesPerSecond": 210.0, "sloMet": True, "source": "measured"},
        {
            "cpu": 2.0,
            "workers": 2,
            "queriesPerSecond": 260.0,
            "sloMet": False,
            "source": "measured",
        },
        {"cpu": 3.0, "workers": 3, "maxQueriesPerSecondWithinSlo": 300.0, "source": "predicted"},
    ],
}

#: a traffic plan as servesize's autoscaling plan stores it (details only)
PLAN: dict[str, Any] = {
    "autoscaling": {
        "hpa": {"minReplicas": 2, "maxReplicas": 9, "targetCPUUtilizationPercentage": 70},
        "predicted": {"replicaHours": 5.0, "staticReplicas": 9, "attainment": 0.995},
        "timeline": [
            {"t": 0, "desiredReplicas": 2, "readyReplicas": 2},
            {"t": 1800, "desiredReplicas": 9, "readyReplicas": 5},
        ],
    },
    "traffic": {"durationSeconds": 3600.0, "requests": 720000, "meanQueriesPerSecond": 200.0},
}

REQUEST: dict[str, Any] = {
    "modelIds": ["diabetes-forest:3"],
    "entryScript": "/src/app/score.py",
    "sourceDirectory": "/src/app",
    "environment": {
        "name": "diabetes-sklearn",
        "version": 2,
        "environmentVariables": {"OMP_NUM_THREADS": "4", "MY_FLAG": "on"},
    },
}


def details(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    out.update(copy.deepcopy(changes))
    return out


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """A workspace with one Succeeded profile 'p' of :data:`BASE` (no deployment stored)."""
    workspace = tmp_path / "ws"
    store = Store.open(workspace)
    store.profiles.create("p", None, {"name": "p"})
    store.profiles.update("p", state="Succeeded", details=BASE, record={"request": REQUEST})
    return workspace
