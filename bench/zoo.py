"""Full profiles of the zoo (examples/zoo), recorded in bench/RESULTS-zoo.md.

Each model is built from the data its package ships, registered with its requests in a
fresh workspace, and profiled with ``servesize model profile`` (default settings, the
limits given here) exactly as a user would type it; the command, the load average and
the figures are appended to RESULTS-zoo.md.

    .venv/bin/python bench/zoo.py                 # every model whose packages are here
    .venv/bin/python bench/zoo.py lightgbm onnx   # some
    SERVESIZE_ZOO_TEXT_PYTHON=.venv-text/bin/python .venv/bin/python bench/zoo.py minilm
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BENCH, ROOT, append_results, busy, machine, run_heading, servesize, uptime

RESULTS = BENCH / "RESULTS-zoo.md"
sys.path.insert(0, str(ROOT / "examples" / "zoo"))
import zoo  # noqa: E402

KEYS = (
    ("state", "state"),
    ("validity", "verdict"),
    ("recommendedCpu", "rec. CPU"),
    ("recommendedMemoryInGB", "rec. GB"),
    ("maxSustainableQueriesPerSecond", "max q/s"),
    ("measuredQueriesPerSecond", "q/s"),
    ("latencyPercentile50InMs", "p50 ms"),
    ("latencyPercentile90InMs", "p90 ms"),
    ("cpuSecondsPerQuery", "CPU s/query"),
    ("maxUtilizedMemoryInGB", "peak GB"),
    ("coldStartSeconds", "cold start s"),
)


def profile_args(entry: Any, name: str, cpu: str, memory: str) -> list[str]:
    args = ["model", "profile", "-n", f"zoo-{name}", "-m", name, "--idi", name]
    if entry.kind == "score":
        args += ["--ic", str(entry.ic.relative_to(ROOT))]
    elif entry.kind == "server":
        args += ["--server-cmd", entry.command.replace("{python}", entry.python),
                 "--score-path", entry.score_path, "--health-path", entry.health_path]  # fmt: skip
    return [*args, "--cc", cpu, "--gb", memory]


def one(entry: Any, cpu: str, memory: str, keep: Path | None = None) -> dict[str, Any]:
    name = entry.name.replace("_", "-")
    with tempfile.TemporaryDirectory() as tmp:
        ws, out = Path(tmp) / "ws", Path(tmp) / "details.json"
        builder = zoo.builder(entry)
        model = builder.build(Path(tmp) / "built")
        requests = Path(tmp) / "requests.txt"
        requests.write_text("\n".join(builder.requests(count=100)) + "\n", encoding="utf-8")
        servesize(ws, "model", "register", "-n", name, "--path", str(model), cwd=ROOT)
        servesize(ws, "dataset", "register", "-n", name, "-f", str(requests), cwd=ROOT)
        args = profile_args(entry, name, cpu, memory)
        # a server command runs in the folder servesize is started from: the app's
        cwd = entry.folder if entry.kind == "server" else ROOT
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        proc = servesize(ws, *args, "-t", str(out), "--json", cwd=cwd)
        seconds = time.monotonic() - started
        details = json.loads(out.read_text()) if out.exists() else {}
        if keep is not None and out.exists():
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"{name}.json").write_text(out.read_text(), encoding="utf-8")
        where = "" if cwd == ROOT else f"cd {cwd.relative_to(ROOT)} && "
        return {
            "name": entry.name,
            "summary": entry.summary,
            "command": where + "servesize " + shlex.join(args),
            "seconds": round(seconds, 1),
            "load": round(load_before, 2),
            "error": (details.get("error") or {}).get("message") or proc.stderr.strip()[-300:],
            "reasons": details.get("validityReasons") or [],
            **{key: details.get(key) for key, _ in KEYS},
            "cold": cold_text(details.get("sizingModel") or {}),
        }


def cold_text(fitted: dict[str, Any]) -> str:
    """The cold-cost step's answer: extra / time constant, or why none."""
    step = fitted.get("coldCost") or {}
    if step.get("reason"):
        return f"none ({step['reason']})"
    if fitted.get("coldExtra") is None:
        return "none" if step else "-"
    return f"{fitted['coldExtra']:.2f} / {fitted['coolInMs']:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="zoo entries (default: all available)")
    parser.add_argument("--cc", default="1", help="CPU cores for every profile")
    parser.add_argument("--gb", default="2", help="memory in GB for every profile")
    parser.add_argument("--details", type=Path, help="keep each profile's details here")
    args = parser.parse_args()
    entries = [zoo.get(n) for n in args.names] if args.names else list(zoo.ENTRIES)
    skipped = {e.name: zoo.missing(e) for e in entries if zoo.missing(e)}
    rows = [one(e, args.cc, args.gb, args.details) for e in entries if e.name not in skipped]
    lines = [
        run_heading(),
        f"{machine()}. `uptime` after the run: `{(after := uptime())}` ({busy(after)}; "
        "each row gives the load before it).\n",
        f"Command: `.venv/bin/python bench/zoo.py {shlex.join(sys.argv[1:])}`; each model "
        "was profiled with the command shown, default settings.\n",
        "| model | "
        + " | ".join(label for _, label in KEYS)
        + " | cold extra / cool | wall s | load before |",
        "|---|" + "---|" * (len(KEYS) + 3),
    ]
    for r in rows:
        cells = [str(r[key]) for key, _ in KEYS]
        tail = f" | {r['cold']} | {r['seconds']} | {r['load']} |"
        lines.append(f"| {r['name']} | " + " | ".join(cells) + tail)
    lines.append("")
    for r in rows:
        lines.append(f"- {r['name']} ({r['summary']}): `{r['command']}`")
        if r["state"] != "Succeeded":
            lines.append(f"  - error: {r['error']}")
        for reason in r["reasons"]:
            lines.append(f"  - INVALID because: {reason}")
    for name, gaps in skipped.items():
        lines.append(f"- {name}: not run here (missing {', '.join(gaps)})")
    text = "\n".join(lines) + "\n"
    append_results(
        RESULTS,
        text,
        "# The zoo, profiled\n\nFull profiles of examples/zoo (bench/zoo.py). Figures "
        "from a shared 2-core machine: compare models within one run.\n",
    )
    print(text)
    return 0 if all(r["state"] == "Succeeded" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
