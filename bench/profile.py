"""Wall time from command to recommendation for the bundled example (issue 5's benchmark).

Runs ``servesize model profile`` with the default settings on the example model in a
fresh workspace, ``--rounds`` times, and appends the figures to bench/RESULTS-profile.md.
``--args`` adds profile options (a sizing: ``--args "--qps 100 --slo p99=50ms"``) and
``--results`` names the file the figures go to; ``--keep DIR`` writes each round's
details there (``round-N.json``), to read where a slow round's time went.

    .venv/bin/python bench/profile.py --rounds 3
    .venv/bin/python bench/profile.py --rounds 2 --results bench/RESULTS-sizing.md \
        --args "--qps 100 --slo p99=50ms"
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from _common import (
    BENCH,
    append_results,
    example_model,
    machine,
    profile_example,
    run_heading,
    uptime,
)

RESULTS = BENCH / "RESULTS-profile.md"


def one_round(model: Path, extra: list[str], keep: Path | None) -> dict[str, object]:
    run = profile_example(model, "bench", extra)
    details = run.details
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        (keep / f"round-{len(list(keep.glob('round-*.json'))) + 1}.json").write_text(
            json.dumps(details, indent=1)
        )
    rows = [r for r in details.get("sizing") or () if r.get("source") == "measured"]
    confirmations = [r for r in rows if r.get("phase") == "confirmation"]
    return {
        "seconds": round(run.seconds, 1),
        "exit": run.proc.returncode,
        "state": details.get("state"),
        "validity": details.get("validity"),
        "recommendedCpu": details.get("recommendedCpu"),
        "recommendedMemoryInGB": details.get("recommendedMemoryInGB"),
        "p90": details.get("latencyPercentile90InMs"),
        "qps": details.get("measuredQueriesPerSecond"),
        "objective": details.get("latencyObjective"),
        "sloMet": details.get("sloMet"),
        "replicas": details.get("recommendedReplicas"),
        "withinSlo": details.get("maxQueriesPerSecondWithinSlo"),
        "confirmedMs": details.get("recommendationLatencyInMs"),
        # where the time went: sizing trials, confirmations, and the slowest second the
        # speed probe saw in a confirmation (a host's spell makes one miss and step down)
        "trials": sum(1 for r in rows if r.get("phase") == "sizing"),
        "trialSeconds": round(
            sum(float(r.get("durationSeconds") or 0) for r in rows if r.get("phase") == "sizing")
        ),
        "confirmations": len(confirmations),
        "spell": max(
            (max(r.get("machineSlowdowns") or [0.0]) for r in confirmations), default=None
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--args", default="", help="extra profile options")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, help="write each round's details here")
    args = parser.parse_args()
    extra = shlex.split(args.args)
    up = uptime()
    model = example_model()
    rows = [one_round(model, extra, args.keep) for _ in range(args.rounds)]
    lines = [
        run_heading(),
        f"{machine()}; load average before: "
        f"{os.getloadavg()[0]:.2f} (`uptime`: {up}); the machine was shared "
        "with other jobs.\n",
        f"Command: `.venv/bin/python bench/profile.py --rounds {args.rounds}"
        + (f" --args {shlex.quote(args.args)}" if extra else "")
        + "` (each round: `servesize model profile -n bench -m diabetes-forest --idi requests "
        f"--ic examples/inference-config.json -t details.json --json {args.args}`).\n",
        "| round | wall s | state | verdict | objective | met | rec. CPU | replicas | rec. GB "
        "| q/s within | confirmed ms | p90 ms | q/s | trials (s) | confirmations "
        "| slowest second |",
        "|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(rows, 1):
        lines.append(
            f"| {i} | {r['seconds']} | {r['state']} | {r['validity']} | {r['objective']} "
            f"| {r['sloMet']} | {r['recommendedCpu']} | {r['replicas']} "
            f"| {r['recommendedMemoryInGB']} | {r['withinSlo']} | {r['confirmedMs']} "
            f"| {r['p90']} | {r['qps']} | {r['trials']} ({r['trialSeconds']}) "
            f"| {r['confirmations']} | {r['spell']} |"
        )
    text = "\n".join(lines) + "\n"
    append_results(
        args.results,
        text,
        "# Profile wall time: command to recommendation\n\n"
        "Targets: under 90 s for the bundled example with default settings (issue 5); "
        "under 3 minutes for a full sizing with --qps and --slo (issue 10).\n",
    )
    print(text)
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
