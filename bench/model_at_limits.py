"""The plan's replica model against the runs a profile measured at its recommendation.

For every profile's details in ``--details`` (``bench/repeat.py --details DIR`` keeps
them), every measured run at the recommended cores with a decision: the objective's
percentile predicted at the run's rate by three models that differ only in the CPU a
request burns: at most one core (the sizing's fit until 2026-12-07), the CPU per query
measured at the bound (the sizing's fit since), and the CPU a request burnt in the runs
at the recommendation (``planning.replica.cpu_at``: what a plan's replica uses), against
the measured one.  Prints, and with ``--results`` appends, the geometric mean and
median of measured / predicted and how often each model is the closest.

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

_MODELS = (
    "at most one core a request",
    "the CPU per query at the bound",
    "the CPU burnt at the limits",
)


def _runs(details: dict[str, object]) -> list[tuple[float, ...]]:
    """(measured, then each of ``_MODELS``) ms for each run at the recommendation."""
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
    per_query = float(details.get("cpuSecondsPerQuery") or 0.0)  # type: ignore[arg-type]
    if per_query <= 0:
        return []
    models = [
        ServiceModel(fitted.work, min(1.0, per_query / mean)),
        ServiceModel(fitted.work, per_query / mean),
        ServiceModel(fitted.work, at_limits / mean),
    ]
    out = []
    for row in rows:
        measured, rate = row.get("objectiveLatencyInMs"), row.get("measuredQueriesPerSecond")
        if row.get("source") != "measured" or row.get("cpu") != cores or not row.get("n"):
            continue
        if not measured or not rate:
            continue
        predicted = [
            m.percentile_ms(float(cores), workers, float(rate), percentile) for m in models
        ]
        if all(math.isfinite(v) for v in predicted):
            out.append((float(measured), *predicted))
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
    ratios = np.array([[r[0] / v for v in r[1:]] for r in runs])
    errors = np.abs(np.log(ratios))
    closest = np.bincount(np.argmin(errors, axis=1), minlength=len(_MODELS))
    geo = np.exp(np.mean(np.log(ratios), axis=0))
    median = np.median(ratios, axis=0)
    rows = "".join(
        f"| {name} | {geo[i]:.2f} | {median[i]:.2f} | {closest[i]} of {len(runs)} |\n"
        for i, name in enumerate(_MODELS)
    )
    text = (
        f"{run_heading()}\n\nCommand: `.venv/bin/python bench/model_at_limits.py --details "
        f"{args.details}`\n\n| the model's CPU a request | measured / predicted, geometric "
        "mean | median | closest |\n|---|---:|---:|---:|\n" + rows
    )
    print(text)
    if args.results:
        with args.results.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
