"""How fast the CLI starts: ``servesize serve`` ready, and ``servesize --help``.

``servesize serve`` execs the lean scoring host, so its time to ready is the host's
plus what the CLI imports first.  For a trivial entry script, each round starts
``python -m servesize serve`` (one worker) and times spawn to the first ``200`` on
``GET /`` (bench/host.py's measurement), then times ``python -m servesize --help`` to
exit.  With ``--before DIR`` (a ``src`` folder of an earlier commit, e.g.
``git archive OLD src | tar -x -C /tmp/old``) each round also runs that code on
``PYTHONPATH``, interleaved, so both see the same machine.  Medians are appended to
bench/RESULTS-host.md.

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

from _common import BENCH, ROOT, append_results, free_port, machine, run_heading, uptime
from host import MIB, TRIVIAL, measure


def help_seconds(env: dict[str, str]) -> float:
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "servesize", "--help"]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--before", help="src folder of the code to compare with")
    args = parser.parse_args()
    codes = {"this tree": str(ROOT / "src")}
    if args.before:
        codes["before"] = str(Path(args.before).resolve())
    for src in codes.values():  # compiles each tree's bytecode outside the measurement
        help_seconds({**os.environ, "PYTHONPATH": src})
    up_before = uptime()
    ready: dict[str, list[float]] = {name: [] for name in codes}
    rss: dict[str, list[int]] = {name: [] for name in codes}
    helps: dict[str, list[float]] = {name: [] for name in codes}
    with tempfile.TemporaryDirectory(prefix="servesize-bench-cli-") as tmp:
        workdir = Path(tmp)
        script = workdir / "score.py"
        script.write_text(TRIVIAL)
        for index in range(args.repeat):
            order = list(codes.items())
            for name, src in order if index % 2 == 0 else order[::-1]:
                env = {**os.environ, "PYTHONPATH": src}
                port = free_port()
                argv = [sys.executable, "-m", "servesize", "serve", "--entry-script",
                        str(script), "--port", str(port), "--workers", "1"]  # fmt: skip
                seconds, memory = measure(argv, port, workdir, env)
                ready[name].append(seconds)
                rss[name].append(memory)
                helps[name].append(help_seconds(env))
    lines = [
        run_heading(),
        f"{machine()}; the machine was shared with other jobs. `uptime` before: "
        f"`{up_before}`; after: `{uptime()}`.\n",
        f"Command: `.venv/bin/python bench/cli_start.py {shlex.join(sys.argv[1:])}` "
        "(each round: `python -m servesize serve --entry-script score.py --port P --workers "
        "1` until the first 200 on `GET /`, then `python -m servesize --help`).\n",
        "| code | `servesize serve` ready (median s) | range | idle RSS (median MiB) "
        "| `servesize --help` (median s) | range |",
        "|---|---:|---|---:|---:|---|",
    ]
    for name in codes:
        r, h = ready[name], helps[name]
        lines.append(
            f"| {name} | {statistics.median(r):.3f} | {min(r):.3f}-{max(r):.3f} "
            f"| {statistics.median(rss[name]) / MIB:.1f} | {statistics.median(h):.3f} "
            f"| {min(h):.3f}-{max(h):.3f} |"
        )
    text = "\n".join(lines) + "\n"
    append_results(BENCH / "RESULTS-host.md", text, "# Scoring host footprint\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
