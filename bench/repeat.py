"""Repeatability: the same profile 5 times, and the spread of what it recommends.

Profiles the bundled example (default settings unless ``--qps`` or ``--setting`` say
otherwise) ``--rounds`` times in fresh workspaces and appends to
bench/RESULTS-repeat.md the recommendation, p50/p90/p99, verdict, contention and
throttling of each round, the spread, and the load average (``uptime``) around it.
Target (issue 11): identical CPU and memory recommendations, p90 within 15%.

    .venv/bin/python bench/repeat.py --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RESULTS = Path(__file__).resolve().parent / "RESULTS-repeat.md"
_KEYS = (
    "validity", "recommendedCpu", "recommendedMemoryInGB", "requestedQueriesPerSecond",
    "latencyPercentile50InMs", "latencyPercentile90InMs", "latencyPercentile99InMs",
    "cpuContentionShare", "throttledShare", "lateSendShare",
)  # fmt: skip


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _servesize(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "servesize", *args, "--workspace", str(workspace)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def one_round(model: Path, extra: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        _servesize(ws, "model", "register", "--name", "diabetes-forest", "--path", str(model))
        _servesize(
            ws, "dataset", "register", "--name", "requests",
            "--file", str(EXAMPLES / "sample-requests.txt"),
        )  # fmt: skip
        out = Path(tmp) / "details.json"
        before = os.getloadavg()[0]
        started = time.monotonic()
        _servesize(
            ws, "model", "profile", "-n", "repeat", "-m", "diabetes-forest", "--idi",
            "requests", "--ic", str(EXAMPLES / "inference-config.json"), "-t", str(out),
            "--json", *extra,
        )  # fmt: skip
        details = json.loads(out.read_text()) if out.exists() else {}
        row: dict[str, object] = {k: details.get(k) for k in _KEYS}
        row.update(
            seconds=round(time.monotonic() - started, 1),
            load=f"{before:.2f} -> {os.getloadavg()[0]:.2f}",
            reasons="; ".join(details.get("validityReasons") or []),
        )
        return row


def _spread(values: list[float]) -> str:
    if not values or min(values) <= 0:
        return "—"
    return f"{(max(values) / min(values) - 1):.1%} (max/min - 1)"


def report(rows: list[dict[str, object]], command: str, up: tuple[str, str]) -> str:
    def num(key: str) -> list[float]:
        return [float(v) for r in rows if isinstance(v := r.get(key), int | float)]

    lines = [
        f"\n## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}.\n",
        f"`uptime` before: `{up[0]}`; after: `{up[1]}`.\n",
        f"Command: `{command}`.\n",
        "| round | wall s | load 1 min | verdict | rate q/s | CPU | GB | p50 ms | p90 ms | "
        "p99 ms | contention | throttled | late |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(rows, 1):
        cells = [r["seconds"], r["load"], r["validity"], r["requestedQueriesPerSecond"]]
        cells += [r[k] for k in _KEYS[1:3]] + [r[k] for k in _KEYS[4:]]
        lines.append(f"| {i} | " + " | ".join(str(c) for c in cells) + " |")
    cpus, gbs = set(num("recommendedCpu")), set(num("recommendedMemoryInGB"))
    lines += [
        "",
        f"- CPU recommendations: {sorted(cpus)} "
        f"({'identical' if len(cpus) == 1 else 'NOT identical'}); memory: {sorted(gbs)} "
        f"({'identical' if len(gbs) == 1 else 'NOT identical'}).",
        f"- Spread: p50 {_spread(num('latencyPercentile50InMs'))}, p90 "
        f"{_spread(num('latencyPercentile90InMs'))} (target within 15%), p99 "
        f"{_spread(num('latencyPercentile99InMs'))}.",
    ]
    lines += [f"- Round {i} INVALID: {r['reasons']}" for i, r in enumerate(rows, 1) if r["reasons"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--qps", type=float, default=None, help="fixed rate (default: 0.8 x capacity)"
    )
    parser.add_argument("--setting", action="append", default=[], help="KEY=VALUE, as the CLI")
    args = parser.parse_args()
    model = EXAMPLES / "model" / "model.joblib"
    if not model.exists():
        subprocess.run([sys.executable, str(EXAMPLES / "train.py")], check=True)
    extra = ["--qps", f"{args.qps:g}"] if args.qps else []
    for setting in args.setting:
        extra += ["--setting", setting]
    command = shlex.join([".venv/bin/python", "bench/repeat.py", *sys.argv[1:]])
    first = _uptime()
    rows = [one_round(model, extra) for _ in range(args.rounds)]
    text = report(rows, command, (first, _uptime()))
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Repeatability: the same profile, several times\n\n"
            "Target (issue 11): identical CPU and memory recommendations, p90 within 15%.\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
