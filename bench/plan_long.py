"""Benchmark: planning a day's (or a week's) trace, wall time and peak memory.

    .venv/bin/python bench/plan_long.py --workspace DIR [--name bench] [--hours 24]
        [--mean 32.5] [--counts]

Writes a diurnal trace (seeded): each second's arrivals Poisson at
``mean x (1 + 0.85 sin(...))`` requests/s, one cycle a day, starting at its trough;
as seconds a line, or with ``--counts`` as per-minute ``start,count`` rows (the way a
week is kept). Then ``servesize profile plan NAME --traffic FILE --no-confirm`` on a
workspace that holds a profile that succeeded (``bench/plan_trace.py --keep DIR`` makes
one), timed; the peak resident memory is the child's (``getrusage``). Appends the
figures, the plan's answer and the load average to ``bench/RESULTS-plan.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import BENCH, append_json_run, uptime

RESULTS = BENCH / "RESULTS-plan.md"
DAY = 86_400


def write_trace(folder: Path, hours: float, mean: float, counts: bool) -> tuple[Path, int]:
    """The trace file and its number of arrivals."""
    rng = np.random.default_rng(20)
    seconds = np.arange(int(hours * 3600))
    rate = mean * (1.0 + 0.85 * np.sin(2 * np.pi * (seconds / DAY - 0.25)))
    per_second = rng.poisson(rate)
    if counts:
        minutes = per_second[: seconds.size // 60 * 60].reshape(-1, 60).sum(axis=1)
        path = folder / "counts.csv"
        rows = "\n".join(f"{60 * k},{c}" for k, c in enumerate(minutes.tolist()))
        path.write_text("start,count\n" + rows + "\n")
        return path, int(minutes.sum())
    arrivals = np.repeat(seconds, per_second) + rng.random(int(per_second.sum()))
    arrivals.sort()
    path = folder / "arrivals.txt"
    np.savetxt(path, arrivals, fmt="%.6f")
    return path, int(arrivals.size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--name", default="bench")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--mean", type=float, default=32.5, help="mean requests/s")
    parser.add_argument("--counts", action="store_true", help="write per-minute counts")
    args = parser.parse_args()
    load = uptime()
    with tempfile.TemporaryDirectory() as name:
        path, arrivals = write_trace(Path(name), args.hours, args.mean, args.counts)
        command = [
            sys.executable, "-m", "servesize", "profile", "plan", args.name,
            "--traffic", str(path), "--no-confirm", "--json",
            "--workspace", str(args.workspace),
        ]  # fmt: skip
        began = time.monotonic()
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - began
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        print(proc.stderr.strip(), file=sys.stderr)
        return 1
    plan = json.loads(proc.stdout).get("autoscaling") or {}
    predicted = plan.get("predicted") or {}
    figures = {
        "hours": args.hours,
        "arrivals": arrivals,
        "format": "per-minute counts" if args.counts else "seconds a line",
        "wallSeconds": round(seconds, 2),
        "peakMemoryInGB": round(peak_kb / 1024**2, 3),
        "hpa": {k: (plan.get("hpa") or {}).get(k) for k in ("targetCPUUtilizationPercentage",
                                                             "minReplicas", "maxReplicas")},
        "replicaHours": predicted.get("replicaHours"),
        "staticReplicaHours": predicted.get("staticReplicaHours"),
        "attainment": predicted.get("attainment"),
    }  # fmt: skip
    print(append_json_run(RESULTS, "plan_long.py", load, figures, "# Plans\n"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
