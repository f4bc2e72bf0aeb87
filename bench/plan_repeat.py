"""One plan's confirmation, repeated: how far a minute's measured percentile moves on
this host when nothing else changes, against the one prediction.

A plan's confirmation replays the same window's same requests on replicas under the
same limits every time (the split's seed is fixed).  Run ``profile plan`` ``--rounds``
times on a kept workspace (``bench/plan_trace.py --keep DIR``), and record each
round's measured percentile, the prediction, the CPU's speed during the replay
(``machineSlowdown``, and how many of its seconds were more than 1.25x slower), and
how many rounds landed within 25% of the prediction and of the rounds' own median:
the second count is what the best single prediction could reach on this host.

    .venv/bin/python bench/plan_repeat.py --workspace DIR --traffic-speed X --rounds 8

Appends to bench/RESULTS-plan.md with the command, ``uptime`` and the CPU model.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from _common import ROOT, append_json_run, uptime
from plan_trace import HEADER, RESULTS, plan, within

TRACE = ROOT.parent / "shared" / "traces" / "azure-llm-2023-conv.csv"
#: a second this much slower than the profile's fastest counts as in a spell
SPELL = 1.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--traffic-speed", type=float, required=True)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--trace", type=Path, default=TRACE)
    args = parser.parse_args()
    load = uptime()
    rounds = []
    for _ in range(args.rounds):
        # the profile plan_trace.py --keep leaves, "bench", planned and confirmed again
        c = plan(args.workspace, args.trace, args.traffic_speed)[0]["autoscaling"]["confirmation"]
        seconds = c.get("machineSlowdowns") or []
        rounds.append(
            {
                "measuredMs": c.get("measuredMs"),
                "predictedMs": c.get("predictedMs"),
                "predictedAtMeasuredSpeedMs": c.get("predictedAtMeasuredSpeedMs"),
                "cpuSecondsPerQuery": c.get("cpuSecondsPerQuery"),
                "predictedAtMeasuredCpuMs": c.get("predictedAtMeasuredCpuMs"),
                "machineSlowdown": c.get("machineSlowdown"),
                "spellSeconds": sum(1 for v in seconds if v > SPELL),
                "met": c.get("met"),
            }
        )
    measured = [float(r["measuredMs"]) for r in rounds if r["measuredMs"] is not None]
    predicted = rounds[0]["predictedMs"] if rounds else None
    middle = statistics.median(measured) if measured else None
    figures = {
        "rounds": rounds,
        "measuredMs": {
            "min": min(measured, default=None),
            "median": middle,
            "max": max(measured, default=None),
        },
        "withinOfPrediction": sum(within(m, predicted) for m in measured) if predicted else None,
        "withinOfMedian": sum(within(m, middle) for m in measured) if middle else None,
        # the model given the CPU the replicas burnt in that round
        "withinAtMeasuredCpu": sum(
            within(float(r["measuredMs"]), float(r["predictedAtMeasuredCpuMs"]))
            for r in rounds
            if r["measuredMs"] is not None and r["predictedAtMeasuredCpuMs"]
        ),
    }
    print(append_json_run(RESULTS, "plan_repeat.py", load, figures, HEADER))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
