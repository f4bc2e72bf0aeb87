"""The cold-cost step against ground truth: does a profile find what a script is built
to cost after an idle gap, and nothing where it costs the same?

Profiles ``tests/profiling/scripts/cold.py`` (4 ms of CPU a request warm, ``1 + 0.5 x
(1 - exp(-idle / 30 ms))`` times that after an idle gap) and ``burn.py`` (4 ms
however long the service idled), ``--rounds`` times each, under a 1-core bound with a
short sizing (the step runs before the search; the search is not under test), and
records ``coldExtra``, ``coolInMs`` and the step's measurements. The server's own part
of a request (HTTP, JSON: about 0.5-1 ms, itself warm or cold) dilutes the script's
50%: the measured extra of cold.py is expected a little below 0.5, burn.py's near 0.
Counts: how many of cold.py's profiles measured an extra within 0.3-0.7 and a time
constant within 10-120 ms (the bounds tests/profiling/test_plan_end_to_end.py holds a
profile to), how many of burn.py's at most 0.25 (test_sizing_runs.py's bound).

    .venv/bin/python bench/cold_truth.py [--rounds 5]

Appends to bench/RESULTS-plan.md with the command, ``uptime`` and the CPU model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from _common import append_json_run, clopper_pearson, script_store, uptime
from plan_trace import HEADER, RESULTS

from servesize.sdk import InferenceConfig, profile
from servesize.workspace import Store

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "profiling" / "scripts"

#: the two scripts and what they are built to cost after an idle gap
CASES = {
    "cold": ("cold.py", {"BURN_MS": "4", "COLD_EXTRA": "0.5", "COOL_MS": "30"}),
    "burn": ("burn.py", {"BURN_MS": "4"}),
}
#: a short sizing: the step runs before it, and the search is not what is measured
SHORT: dict[str, Any] = {
    "min_duration": 4.0,
    "min_queries": 100,
    "trial_duration": 4.0,
    "trial_max_seconds": 8.0,
    "max_trials": 2,
    "confirm": False,
    "seed": None,
}


def one(store: Store, case: str, round_: int) -> dict[str, Any]:
    script, env = CASES[case]
    config = InferenceConfig(entry_script=str(SCRIPTS / script), source_directory=str(SCRIPTS))
    started = time.monotonic()
    result = profile(
        store, f"{case}-{round_}", ["m"], config, "rows", cpu=1.0, memory_in_gb=1.0,
        qps=20.0, slo="p99=100ms", extra_env=env, **SHORT,
    )  # fmt: skip
    result.wait_for_completion()
    d = result.get_details()
    fitted = d.get("sizingModel") or {}
    return {
        "case": case,
        "seconds": round(time.monotonic() - started, 1),
        "state": result.state,
        "coldExtra": fitted.get("coldExtra"),
        "coolInMs": fitted.get("coolInMs"),
        "coldCost": fitted.get("coldCost"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    load = uptime()
    with script_store() as store:
        rows = [one(store, case, i) for i in range(rounds) for case in CASES]
    cold = [r for r in rows if r["case"] == "cold"]
    burn = [r for r in rows if r["case"] == "burn"]
    found = sum(
        1
        for r in cold
        if 0.3 <= (r["coldExtra"] or 0.0) <= 0.7 and 10.0 <= (r["coolInMs"] or 0.0) <= 120.0
    )
    none = sum(1 for r in burn if (r["coldExtra"] or 0.0) <= 0.25)
    summary = {
        "coldWithinBounds": f"{found} of {len(cold)}",
        "coldWithinBoundsInterval95": [round(x, 3) for x in clopper_pearson(found, len(cold))],
        "burnAtMost025": f"{none} of {len(burn)}",
        "burnAtMost025Interval95": [round(x, 3) for x in clopper_pearson(none, len(burn))],
    }
    command = f"cold_truth.py --rounds {rounds}"
    print(append_json_run(RESULTS, command, load, {"runs": rows, **summary}, HEADER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
