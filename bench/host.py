"""Benchmark: the scoring host's own footprint, servesize vs azmlinfsrv (issue 9, item 2).

For a trivial entry script, each host is started ``--repeat`` times, one worker each:
*ready* = wall time from spawn to the first ``200`` on ``GET /`` (polled every 5 ms);
*idle RSS* = the sum of RSS over the host's process tree, read 1 s after it is ready.
Hosts: ``python -m servesize.serving``, ``servesize serve`` (the CLI, which execs the
former) and azmlinfsrv 1.5.1.  Medians are appended as Markdown to bench/RESULTS-host.md.
Targets: servesize idle RSS <= 30 MiB and <= half of azmlinfsrv's; ready <= half its time.

    .venv/bin/python bench/host.py [--repeat 7] [--out PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _common import ROOT, append_results, free_port, machine, run_heading, uptime
from server import AZMLINFSRV, TRIVIAL

MIB = 1024 * 1024
CLI = Path(sys.executable).parent / "servesize"


def commands(script: Path, port: int) -> dict[str, list[str]]:
    ours = ["--entry-script", str(script), "--port", str(port), "--workers", "1"]
    return {
        "servesize (python -m servesize.serving)": [
            sys.executable,
            "-m",
            "servesize.serving",
            *ours,
        ],
        "servesize serve (CLI)": [str(CLI), "serve", *ours],
        "azmlinfsrv": [
            AZMLINFSRV,
            "--entry_script",
            str(script),
            "--port",
            str(port),
            "--worker_count",
            "1",
        ],
    }


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False


def tree_rss(pid: int) -> int:
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


def measure(
    argv: list[str], port: int, workdir: Path, env: dict[str, str] | None = None
) -> tuple[float, int]:
    with (workdir / "host.log").open("wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True,
            env=env,
        )  # fmt: skip
    try:
        deadline = start + 60
        while not _healthy(port):
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"{argv[0]} did not start; see {workdir / 'host.log'}")
            time.sleep(0.005)  # readiness poll; its period bounds the timing error
        ready = time.perf_counter() - start
        time.sleep(1.0)  # idle: let start-up garbage settle before reading memory
        return ready, tree_rss(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS-host.md")
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows: dict[str, tuple[list[float], list[int]]] = {}
    with tempfile.TemporaryDirectory(prefix="servesize-bench-host-") as tmp:
        workdir = Path(tmp)
        script = workdir / "score.py"
        script.write_text(TRIVIAL)
        for _ in range(args.repeat):  # interleaved, so drifting load hits every host alike
            for name, argv in commands(script, free_port()).items():
                port = int(argv[argv.index("--port") + 1])
                ready, rss = measure(argv, port, workdir)
                rows.setdefault(name, ([], []))
                rows[name][0].append(ready)
                rows[name][1].append(rss)
    load_after = os.getloadavg()
    up = uptime()
    med = {n: (statistics.median(r), statistics.median(m) / MIB) for n, (r, m) in rows.items()}
    az_ready, az_rss = med["azmlinfsrv"]
    lines = [
        run_heading(),
        f"{machine()}; load average before/after: "
        f"{load_before[0]:.2f} / {load_after[0]:.2f}; `uptime` after: `{up}`.\n",
        f"Command: `.venv/bin/python bench/host.py --repeat {args.repeat}` "
        "(the machine was shared with other engineers' test runs).\n",
        "| host | ready (median s) | range | idle RSS, process tree (median MiB) | range "
        "| RSS vs azmlinfsrv | ready vs azmlinfsrv |",
        "|---|---:|---|---:|---|---:|---:|",
    ]
    for name, (ready_list, rss_list) in rows.items():
        ready, rss = med[name]
        lines.append(
            f"| {name} | {ready:.3f} | {min(ready_list):.3f}-{max(ready_list):.3f} | "
            f"{rss:.1f} | {min(rss_list) / MIB:.1f}-{max(rss_list) / MIB:.1f} | "
            f"{rss / az_rss:.2f} | {ready / az_ready:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    append_results(
        args.out,
        text,
        "# Scoring host footprint: servesize vs azmlinfsrv\n\n"
        "Produced by `bench/host.py` (each run appends a section); see its docstring.\n",
    )
    print(text)


if __name__ == "__main__":
    main()
