"""Benchmark: a plan's hardest window replayed at its own send times against Poisson
arrivals at the same mean rate, alternated on one replica under the planned limits.

    .venv/bin/python bench/replay_ab.py --workspace DIR --traffic-speed X [--rounds 3]

DIR holds a profile ``bench`` kept by ``bench/plan_trace.py --keep``; X is the Azure
trace's speed-up the plan was made at.  Each round replays the window's schedule (what
the plan's confirmation sends to one replica) and then 60 s of Poisson arrivals at its
mean rate, on the same replica, and records each run's percentiles, requests over the
objective's limit, the CPU a request the replica burnt, and the CPU's speed (median
slowdown against the run's fastest second, and the seconds slower than 1.25x).
Appends to bench/RESULTS-plan.md with the command, ``uptime`` and the CPU model.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from _common import append_json_run, one_replica, uptime
from plan_repeat import SPELL, TRACE
from plan_trace import HEADER, RESULTS

from servesize.load import LoadSpec, read_trace, run_load_async
from servesize.planning.confirm import split_window
from servesize.planning.plan import make_plan, stored_figures
from servesize.profiling.replicas import Replicas
from servesize.workspace import Store


def one_run(running: Replicas, spec: LoadSpec, kind: str) -> dict[str, Any]:
    began, cpu = time.monotonic(), running.cpu_seconds()
    result = asyncio.run(run_load_async(spec))
    burnt = (running.cpu_seconds() or 0.0) - (cpu or 0.0)
    speed = running.speed.run_metrics(began, time.monotonic()) if running.speed else {}
    m = result.metrics
    n = int(m.get("totalQueries") or 0)
    return {
        "kind": kind,
        "requests": n,
        "p50Ms": m.get("latencyPercentile50InMs"),
        "p90Ms": m.get("latencyPercentile90InMs"),
        "p99Ms": m.get("latencyPercentile99InMs"),
        "overLimit": m.get("queriesOverThreshold"),
        "lateSendShare": m.get("lateSendShare"),
        "cpuMsPerQuery": round(burnt / n * 1000, 3) if n and cpu is not None else None,
        "machineSlowdown": speed.get("machineSlowdown"),
        "spellSeconds": sum(1 for x in speed.get("machineSlowdowns") or () if x and x > SPELL),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--traffic-speed", type=float, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = uptime()
    store = Store.open(args.workspace)
    trace = read_trace(TRACE, column="TIMESTAMP", speed=args.traffic_speed)
    plan = make_plan(stored_figures(store, "bench"), trace.arrivals, duration=trace.duration)
    sim, replica = plan.simulation, plan.table.replica
    start = sim.hardest_window(60)
    window = sim.ready[start : start + 60]
    offsets = split_window(trace.arrivals, start, 60, window, 1, sim.settings.seed)[0]
    rate = len(offsets) / 60.0
    limit = plan.table.limit_ms
    runs = []
    with one_replica(store, replica) as running:
        url, bodies = running.urls[0], running.bodies
        schedule = tuple(float(t) for t in offsets)
        replayed = LoadSpec(
            url, bodies, schedule=schedule, timeout=10.0, isolated=True, threshold_ms=limit
        )
        poisson = LoadSpec(
            url, bodies, rate=rate, duration=60.0, timeout=10.0, isolated=True,
            threshold_ms=limit,
        )  # fmt: skip
        for _ in range(args.rounds):
            runs.append(one_run(running, replayed, "schedule"))
            runs.append(one_run(running, poisson, "poisson"))
            print(runs[-2], runs[-1], flush=True)
    figures = {
        "windowStart": start,
        "requests": len(offsets),
        "rate": round(rate, 3),
        "cpu": replica.cores,
        "limitMs": limit,
        "runs": runs,
    }
    print(append_json_run(RESULTS, "replay_ab.py", load, figures, HEADER))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
