"""How fast the CLI starts: ``servesize serve`` ready next to azmlinfsrv's, and
``servesize --help``.

``servesize serve`` execs the lean scoring host, so its time to ready is the host's
plus what the CLI does first.  For a trivial entry script, each round starts, one
worker each and in turn: the installed ``servesize serve`` console script (what users
type), ``python -m servesize.serving`` (the host alone) and azmlinfsrv 1.5.1 (from
``.venv-azml``), timing spawn to the first ``200`` on ``GET /`` (bench/host.py's
measurement); then it times ``servesize --help`` to exit.  Rounds alternate the order,
so drifting load hits each alike.  With ``--before DIR`` (a ``src`` folder of an
earlier commit, e.g. ``git archive OLD src | tar -x -C /tmp/old``) each round also
runs the CLI from that code on ``PYTHONPATH``.  Target (issue 22): ``servesize serve``
ready within 0.5x azmlinfsrv's.  Medians are appended to bench/RESULTS-host.md.

    .venv/bin/python bench/cli_start.py [--repeat 11] [--before /tmp/old/src]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BENCH, ROOT, append_results, cpu_model, free_port, machine, run_heading, uptime
from host import CLI, TRIVIAL, measure
from server import AZMLINFSRV


def help_seconds(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(CLI), "--help"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def argv_of(name: str, script: Path, port: int) -> list[str]:
    ours = ["--entry-script", str(script), "--port", str(port), "--workers", "1"]
    if name == "azmlinfsrv":
        theirs = ["--entry_script", str(script), "--port", str(port), "--worker_count", "1"]
        return [AZMLINFSRV, *theirs]
    if name == "python -m servesize.serving":
        return [sys.executable, "-m", "servesize.serving", *ours]
    return [str(CLI), "serve", *ours]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--before", help="src folder of the code to compare with")
    args = parser.parse_args()
    # what runs each round -> its PYTHONPATH (None: the installed code)
    hosts: dict[str, str | None] = {"servesize serve": str(ROOT / "src")}
    if args.before:
        hosts["servesize serve (before)"] = str(Path(args.before).resolve())
    hosts["python -m servesize.serving"] = None
    hosts["azmlinfsrv"] = None
    codes = {name: src for name, src in hosts.items() if src is not None}
    for src in codes.values():  # compiles each tree's bytecode outside the measurement
        help_seconds({**os.environ, "PYTHONPATH": src})
    up_before = uptime()
    ready: dict[str, list[float]] = {name: [] for name in hosts}
    helps: dict[str, list[float]] = {name: [] for name in codes}
    with tempfile.TemporaryDirectory(prefix="servesize-bench-cli-") as tmp:
        workdir = Path(tmp)
        script = workdir / "score.py"
        script.write_text(TRIVIAL)
        for index in range(args.repeat):
            order = list(hosts.items())
            for name, src in order if index % 2 == 0 else order[::-1]:
                env = {**os.environ, "PYTHONPATH": src} if src else None
                port = free_port()
                seconds, _memory = measure(argv_of(name, script, port), port, workdir, env)
                ready[name].append(seconds)
                if src is not None:
                    helps[name].append(help_seconds({**os.environ, "PYTHONPATH": src}))
    azml = statistics.median(ready["azmlinfsrv"])
    lines = [
        run_heading(),
        f"{machine()}, CPU: {cpu_model()}; the machine was shared with other jobs. "
        f"`uptime` before: `{up_before}`; after: `{uptime()}`.\n",
        f"Command: `.venv/bin/python bench/cli_start.py "
        f"{shlex.join(sys.argv[1:])}` ({args.repeat} rounds, order alternating; each: the "
        "console script `servesize serve --entry-script score.py --port P --workers 1`, "
        "`python -m servesize.serving` with the same flags and azmlinfsrv 1.5.1 until the "
        "first 200 on `GET /`, and `servesize --help`).\n",
        "| what | ready (median s) | range | vs azmlinfsrv | `servesize --help` (median s) "
        "| range |",
        "|---|---:|---|---:|---:|---|",
    ]
    for name, times in ready.items():
        med = statistics.median(times)
        h = helps.get(name)
        help_cells = f"{statistics.median(h):.3f} | {min(h):.3f}-{max(h):.3f}" if h else "- | -"
        lines.append(
            f"| {name} | {med:.3f} | {min(times):.3f}-{max(times):.3f} | {med / azml:.2f} "
            f"| {help_cells} |"
        )
    text = "\n".join(lines) + "\n"
    append_results(BENCH / "RESULTS-host.md", text, "# Scoring host footprint\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
