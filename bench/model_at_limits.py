"""The plan's replica model against the runs a profile measured at its recommendation.

For every profile's details in ``--details`` (``bench/repeat.py --details DIR`` keeps
them), every measured run at the recommended cores with a decision: the objective's
percentile predicted at the run's rate by the model as the sizing fits it (each
request burns at most one core) and by the same model draining the quota at the CPU a
request burnt in those runs (``planning.replica.cpu_at``: what a plan's replica uses),
against the measured one.  Prints, and with ``--results`` appends, the geometric mean
and median of measured / predicted and how often each model is the closer.

    .venv/bin/python bench/model_at_limits.py --details DIR [--results bench/RESULTS-plan.md]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from _common import run_heading

from servesize.planning.replica import cpu_at
from servesize.profiling.queueing import ServiceModel


def _runs(details: dict[str, object]) -> list[tuple[float, float, float]]:
    """(measured, as fitted, at the limits) ms for each run at the recommendation."""
    cores = details.get("recommendedCpu")
    label = str(details.get("latencyObjective") or "")
    rows = details.get("sizing")
    if not isinstance(cores, int | float) or "<" not in label or not isinstance(rows, list):
        return []
    workers = int(details.get("recommendedWorkers") or 1)  # type: ignore[call-overload]
    percentile = label[1 : label.index("<")]
    fitted = ServiceModel.from_details(details["sizingModel"])  # type: ignore[arg-type]
    at_limits = cpu_at(rows, float(cores), workers)
    if at_limits is None:
        return []
    mean = sum(fitted.work) / len(fitted.work)
    drained = ServiceModel(fitted.work, at_limits / mean)
    out = []
    for row in rows:
        measured, rate = row.get("objectiveLatencyInMs"), row.get("measuredQueriesPerSecond")
        if row.get("source") != "measured" or row.get("cpu") != cores or not row.get("n"):
            continue
        if not measured or not rate:
            continue
        a = fitted.percentile_ms(float(cores), workers, float(rate), percentile)
        b = drained.percentile_ms(float(cores), workers, float(rate), percentile)
        if math.isfinite(a) and math.isfinite(b):
            out.append((float(measured), a, b))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--details", type=Path, required=True)
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()
    files = sorted(args.details.glob("*.json"))
    runs = [r for f in files for r in _runs(json.loads(f.read_text()))]
    if not runs:
        print("no measured runs at a recommendation with CPU figures", file=sys.stderr)
        return 1
    ratios = np.array([(m / a, m / b) for m, a, b in runs])
    closer = sum(abs(math.log(m / b)) < abs(math.log(m / a)) for m, a, b in runs)
    geo = np.exp(np.mean(np.log(ratios), axis=0))
    median = np.median(ratios, axis=0)
    text = (
        f"{run_heading()}\n\nCommand: `.venv/bin/python bench/model_at_limits.py --details "
        f"{args.details}`\n\n| model | measured / predicted, geometric mean | median | closer |\n"
        "|---|---:|---:|---:|\n"
        f"| as the sizing fits it | {geo[0]:.2f} | {median[0]:.2f} | "
        f"{len(runs) - closer} of {len(runs)} |\n"
        f"| the CPU burnt at the limits | {geo[1]:.2f} | {median[1]:.2f} | "
        f"{closer} of {len(runs)} |\n"
    )
    print(text)
    if args.results:
        with args.results.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
