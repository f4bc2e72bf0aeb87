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
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import BENCH, ROOT, append_json_run, uptime

HEADER = "# Planning for a trace (bench/plan_trace.py, bench/replica_tail.py)\n"
RESULTS = BENCH / "RESULTS-plan.md"
TRACE = ROOT.parent / "shared" / "traces" / "azure-llm-2023-conv.csv"
#: a second this much slower than the profile's fastest counts as in a spell
SPELL = 1.25


def confirm(workspace: Path, name: str, trace: Path, speed: float) -> dict[str, Any]:
    """One ``profile plan`` with its confirmation; the stored confirmation."""
    cmd = [
        sys.executable, "-m", "servesize", "profile", "plan", name, "--traffic", str(trace),
        "--traffic-column", "TIMESTAMP", "--traffic-speed", f"{speed:g}", "--json",
        "--workspace", str(workspace),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"plan failed: {proc.stderr.strip()[-2000:]}")
    out: dict[str, Any] = json.loads(proc.stdout)["autoscaling"]["confirmation"]
    return out


def within(measured: float, reference: float) -> bool:
    return abs(measured - reference) / reference <= 0.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--traffic-speed", type=float, required=True)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--name", default="bench")
    parser.add_argument("--trace", type=Path, default=TRACE)
    args = parser.parse_args()
    load = uptime()
    rounds = []
    for _ in range(args.rounds):
        c = confirm(args.workspace, args.name, args.trace, args.traffic_speed)
        seconds = c.get("machineSlowdowns") or []
        rounds.append(
            {
                "measuredMs": c.get("measuredMs"),
                "predictedMs": c.get("predictedMs"),
                "predictedAtMeasuredSpeedMs": c.get("predictedAtMeasuredSpeedMs"),
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
    }
    print(append_json_run(RESULTS, "plan_repeat.py", load, figures, HEADER))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
