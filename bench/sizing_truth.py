"""Sizing against ground truth: 10 ms of CPU a request at 40 q/s with p99 <= 150 ms.

The answer must lie in [0.4, 0.8] cores (0.4 is the bare CPU need; the CFS quota's
tail effect asks a little more) and must not move by more than 0.1 core between an
upper bound of 1.0 and 0.8 cores.  Appends the figures to bench/RESULTS-sizing.md.

    .venv/bin/python bench/sizing_truth.py [--rounds N]   # N x (bound 1.0, bound 0.8)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _common import BENCH, append_table, script_store, uptime

from servesize.sdk import InferenceConfig, profile
from servesize.workspace import Store

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "profiling" / "scripts"


def one(store: Store, bound: float, round_: int) -> dict[str, object]:
    config = InferenceConfig(entry_script=str(SCRIPTS / "burn.py"), source_directory=str(SCRIPTS))
    started = time.monotonic()
    result = profile(
        store, f"truth-{round_}-{bound}", ["m"], config, "rows", cpu=bound, memory_in_gb=1.0,
        qps=40.0, slo="p99=150ms", extra_env={"BURN_MS": "10"}, seed=None,
    )  # fmt: skip
    # seed None: each profile draws its own schedules, so the count is over them too
    result.wait_for_completion()
    d = result.get_details()
    alone = next((r for r in d.get("sizing", []) if "capacity" in str(r.get("phase"))), {})
    return {
        "bound": bound,
        "seconds": round(time.monotonic() - started, 1),
        "cpu": d.get("recommendedCpu"),
        "replicas": d.get("recommendedReplicas"),
        "met": d.get("sloMet"),
        "p99": d.get("recommendationLatencyInMs"),
        "alone": alone.get("latencyPercentile50InMs"),
        "trials": sum(1 for r in d.get("sizing", []) if r.get("phase") == "sizing"),
        "validity": d.get("validity"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1, help="pairs of profiles (1.0, 0.8)")
    rounds = parser.parse_args().rounds
    load = uptime()
    with script_store() as store:
        rows = [one(store, bound, i) for i in range(rounds) for bound in (1.0, 0.8)]
    keys = ("bound", "seconds", "cpu", "replicas", "met", "p99", "alone", "trials", "validity")
    text = append_table(
        BENCH / "RESULTS-sizing.md",
        "Ground truth",
        load,
        f"`.venv/bin/python bench/sizing_truth.py --rounds {rounds}` (burn.py, 10 ms of CPU "
        "a request, "
        '`qps=40, slo="p99=150ms"`, default settings otherwise).',
        ("bound", "wall s", "rec. CPU", "replicas", "sloMet", "confirmed p99 ms",
         "one at a time p50 ms", "trials", "verdict"),
        [[r[k] for k in keys] for r in rows],
    )  # fmt: skip
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
