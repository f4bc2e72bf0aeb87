"""Wall time from command to recommendation for the bundled example (issue 5's benchmark).

Runs ``servesize model profile`` with the default settings on the example model in a
fresh workspace, ``--rounds`` times, and appends the figures to bench/RESULTS-profile.md.

    .venv/bin/python bench/profile.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RESULTS = Path(__file__).resolve().parent / "RESULTS-profile.md"


def _servesize(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "servesize", *args, "--workspace", str(workspace)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def one_round(model: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        _servesize(ws, "model", "register", "--name", "diabetes-forest", "--path", str(model))
        _servesize(
            ws, "dataset", "register", "--name", "requests",
            "--file", str(EXAMPLES / "sample-requests.txt"),
        )  # fmt: skip
        out = Path(tmp) / "details.json"
        started = time.monotonic()
        proc = _servesize(
            ws, "model", "profile", "-n", "bench", "-m", "diabetes-forest", "--idi", "requests",
            "--ic", str(EXAMPLES / "inference-config.json"), "-t", str(out), "--json",
        )  # fmt: skip
        seconds = time.monotonic() - started
        details = json.loads(out.read_text()) if out.exists() else {}
        return {
            "seconds": round(seconds, 1),
            "exit": proc.returncode,
            "state": details.get("state"),
            "validity": details.get("validity"),
            "recommendedCpu": details.get("recommendedCpu"),
            "recommendedMemoryInGB": details.get("recommendedMemoryInGB"),
            "p90": details.get("latencyPercentile90InMs"),
            "qps": details.get("measuredQueriesPerSecond"),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = EXAMPLES / "model" / "model.joblib"
    if not model.exists():
        subprocess.run([sys.executable, str(EXAMPLES / "train.py")], check=True)
    rows = [one_round(model) for _ in range(args.rounds)]
    lines = [
        f"\n## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average before: "
        f"{os.getloadavg()[0]:.2f}.\n",
        f"Command: `.venv/bin/python bench/profile.py --rounds {args.rounds}` (each round: "
        "`servesize model profile -n bench -m diabetes-forest --idi requests "
        "--ic examples/inference-config.json -t details.json --json`, default settings).\n",
        "| round | wall s | state | verdict | rec. CPU | rec. GB | p90 ms | q/s |",
        "|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(rows, 1):
        lines.append(
            f"| {i} | {r['seconds']} | {r['state']} | {r['validity']} | {r['recommendedCpu']} "
            f"| {r['recommendedMemoryInGB']} | {r['p90']} | {r['qps']} |"
        )
    text = "\n".join(lines) + "\n"
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Profile wall time: command to recommendation\n\n"
            "Target (issue 5): under 90 s for the bundled example with default settings.\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text)
    print(text)
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
