"""How far one real replica's percentile is from the model's, and how far from itself.

The plan's confirmation compares one measured percentile of a window (a few hundred
requests) with the model's prediction for exactly those send times. This measures what
that comparison can show: the bundled example is profiled as bench/plan_trace.py does
(``--slo p99=40ms --qps 10``), planned for the Azure LLM trace sped up to load one
replica, and then the plan's hardest minute and a Poisson stream of as many requests
are each replayed ``--repeats`` times on a fresh replica under the planned limits. Each
replay records the measured p50/p90/p99, the requests over the limit and the CPU the
replica burnt, beside the model's prediction for the same send times (with and
without the tail factor the profile's runs gave). Appended to bench/RESULTS-plan.md
with the command, `uptime` and the CPU model.

    .venv/bin/python bench/replica_tail.py --trace ../shared/traces/azure-llm-2023-conv.csv

``--workspace DIR`` keeps the profile there and reuses it on the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    EXAMPLES,
    append_json_run,
    example_model,
    one_replica,
    uptime,
)
from plan_trace import HEADER, RESULTS, cli

from servesize.load import read_trace
from servesize.planning.confirm import _replay, percentile_interval, split_window
from servesize.planning.plan import make_plan, stored_figures
from servesize.planning.replay import replica_latencies_ms
from servesize.profiling.replicas import PHASE
from servesize.profiling.sizing.decision import Design
from servesize.workspace import Store

LIMIT_MS = 40.0


def _profile(ws: Path) -> dict[str, Any]:
    cli(ws, "model", "register", "--name", "diabetes-forest", "--path", str(example_model()))
    requests = str(EXAMPLES / "sample-requests.txt")
    cli(ws, "dataset", "register", "--name", "requests", "--file", requests)
    proc, _ = cli(
        ws, "model", "profile", "-n", "bench", "-m", "diabetes-forest", "--idi", "requests",
        "--ic", str(EXAMPLES / "inference-config.json"), "--json",
        "--slo", f"p99={LIMIT_MS:g}ms", "--qps", "10",
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"profile failed: {proc.stderr.strip()[-2000:]}")
    details: dict[str, Any] = json.loads(proc.stdout)
    return details


def _replay_once(store: Store, replica: Any, schedule: np.ndarray) -> dict[str, Any]:
    with one_replica(store, replica) as running:
        result = asyncio.run(_replay(running.urls, running.bodies, [schedule], 20.0, LIMIT_MS))[0]
        figures = running.samplers[0].phase_figures(PHASE)
    m = result.metrics
    n = int(m.get("totalQueries") or 0)
    interval = percentile_interval([result], 99.0, 0.95)
    return {
        "n": n,
        "overLimit": m.get("queriesOverThreshold"),
        "p50": m.get("latencyPercentile50InMs"),
        "p90": m.get("latencyPercentile90InMs"),
        "p99": m.get("latencyPercentile99InMs"),
        "p99Interval95": [round(v, 1) for v in interval] if interval else None,
        "lateSendShare": m.get("lateSendShare"),
        "cpuMsPerQuery": round(figures.cpu_seconds / n * 1000, 2) if n else None,
        "throttledPeriods": figures.throttled_periods,
        "periods": figures.periods,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trace", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workspace", type=Path)
    args = parser.parse_args()
    load = uptime()
    with tempfile.TemporaryDirectory() as tmp:
        ws = args.workspace or Path(tmp) / "ws"
        profiled = not (ws / "servesize.db").exists()
        if profiled:
            _profile(ws)
        store = Store.open(ws)
        figures = stored_figures(store, "bench")
        own = read_trace(args.trace, column="TIMESTAMP")
        first = make_plan(figures, own.arrivals)
        assert first.figure.replica is not None
        per_replica = float(first.figure.replica["ratePerReplicaWithinObjective"])
        speed = round(per_replica / (len(own) / own.duration), 2)
        arrivals = read_trace(args.trace, column="TIMESTAMP", speed=speed).arrivals
        plan = make_plan(figures, arrivals)
        sim, replica = plan.simulation, plan.table.replica
        start = sim.hardest_window(60)
        window = split_window(arrivals, start, 60, sim.ready[start : start + 60], 1, 7)[0]
        poisson = np.sort(np.random.default_rng(11).uniform(0, 60, window.size))
        model = replica.model
        rows = []
        for label, schedule in (("trace", window), ("poisson", poisson)) * args.repeats:
            predicted = replica_latencies_ms(replica, schedule, 7)
            raw = model.latencies_at(schedule, replica.cores, replica.workers, 7) * 1000.0
            measured = _replay_once(store, replica, schedule)
            inside = measured["p99Interval95"]
            p99 = float(np.percentile(predicted, 99))
            rows.append(
                {
                    "schedule": label,
                    **measured,
                    "predictedP99": round(p99, 1),
                    "predictedP99WithoutTail": round(float(np.percentile(raw, 99)), 1),
                    "predictedOverLimit": int((predicted > LIMIT_MS).sum()),
                    "predictionInsideInterval": bool(inside and inside[0] <= p99 <= inside[1]),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    design = Design.of("99", confidence=0.95, indifference=2.0)
    figures_out = {
        "profiled": profiled,
        "replica": {
            "cores": replica.cores,
            "workers": replica.workers,
            "tailFactor": round(replica.tail, 3),
            "tailRuns": replica.tail_runs,
            "cpuMsPerQueryModel": round(model.cpu_per_query * 1000, 2),
            "cpuMsPerQueryProfile": round(float(figures.cpu_seconds_per_query or 0) * 1000, 2),
            "serviceTimeMeanMs": round(float(np.mean(model.work)) * 1000, 2),
            "cpuFraction": round(model.cpu_fraction, 3),
        },
        "speed": speed,
        "windowStart": start,
        "requests": int(window.size),
        "most in 100 ms": int(np.bincount((window * 10).astype(int)).max()),
        "design": {"tail": design.tail, "confidence": design.confidence},
        "replays": rows,
    }
    text = append_json_run(RESULTS, "replica_tail.py", load, figures_out, HEADER)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
