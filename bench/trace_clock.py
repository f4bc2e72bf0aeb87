"""Benchmark: a trace whose times were cut to whole seconds, planned as it is read
(arrivals that share a second spread within it) and as if sent together.

    .venv/bin/python bench/trace_clock.py --workspace DIR --traffic-speed X [--name bench]

Writes a copy of the Azure LLM trace (../shared/traces/, CC BY 4.0, Microsoft's Azure
Public Dataset: its README is beside it) with each TIMESTAMP cut to the whole second,
as an access log keeps them, and plans the profile ``NAME`` of a kept workspace
(``bench/plan_trace.py --keep DIR``) three ways, with ``make_plan`` (no confirmation):
the original trace, the cut copy as read_trace reads it, and the cut copy with the
spreading turned off (each second's requests at its start). Appends the HPA settings,
replica-hours and attainment of each to ``bench/RESULTS-trace.md``.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from _common import BENCH, append_json_run, uptime
from plan_repeat import TRACE

import servesize.load._trace_read as trace_read
from servesize.load import read_trace
from servesize.planning.plan import make_plan, stored_figures
from servesize.workspace import Store

RESULTS = BENCH / "RESULTS-trace.md"
HPA_KEYS = ("targetCPUUtilizationPercentage", "minReplicas", "maxReplicas")


def cut_to_seconds(source: Path, folder: Path) -> Path:
    """The trace with each TIMESTAMP cut to its second (the other columns kept)."""
    path = folder / "seconds.csv"
    with source.open(newline="") as src, path.open("w", newline="") as out:
        rows = csv.reader(src)
        writer = csv.writer(out)
        header = next(rows)
        writer.writerow(header)
        at = header.index("TIMESTAMP")
        for row in rows:
            row[at] = row[at][:19]
            writer.writerow(row)
    return path


def planned(store: Store, name: str, path: Path, speed: float) -> dict[str, Any]:
    trace = read_trace(path, column="TIMESTAMP", speed=speed)
    figures = stored_figures(store, name)
    duration = trace.duration or None
    plan = make_plan(figures, trace.arrivals, autoscaler="hpa", duration=duration).figure
    hpa = plan.hpa or {}
    return {
        "timeResolutionSeconds": trace.resolution,
        "peak1s": trace.summary().peak_queries_per_second["1s"],
        "hpa": {k: hpa.get(k) for k in HPA_KEYS},
        "replicaHours": plan.predicted.replica_hours,
        "staticReplicas": plan.predicted.static_replicas,
        "staticReplicaHours": plan.predicted.static_replica_hours,
        "attainment": plan.predicted.attainment,
        "attainmentOnArrivals": plan.predicted.attainment_on_arrivals,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--name", default="bench")
    parser.add_argument("--traffic-speed", type=float, required=True)
    args = parser.parse_args()
    load = uptime()
    store = Store.open(args.workspace)
    with tempfile.TemporaryDirectory() as name:
        cut = cut_to_seconds(TRACE, Path(name))
        figures = {
            "original": planned(store, args.name, TRACE, args.traffic_speed),
            "wholeSeconds": planned(store, args.name, cut, args.traffic_speed),
        }
        with mock.patch.object(trace_read, "_spread_ties", lambda s: (s, None)):
            figures["wholeSecondsSentTogether"] = planned(store, args.name, cut, args.traffic_speed)
    print(append_json_run(RESULTS, "trace_clock.py", load, figures, "# Traces\n"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
