"""Benchmark: does the generator keep its schedule, in a profile, alone, and replaying a trace?

    .venv/bin/python bench/lateness.py [--rates 10,20,40,80 | --of-capacity 0.5,0.95]
                                       [--cpu 0.6] [--burn-ms 10]
                                       [--repeats 3] [--seconds 20]
                                       [--modes profile,standalone,replay]
                                       [--realtime on,off] [--trace DIR]
                                       [--before DIR] [--after DIR]

The service is the ground-truth script ``tests/profiling/scripts/burn.py`` (``--burn-ms``
of CPU per request, 10 by default; 0.2 is a fast model's) under a ``--cpu`` core limit.
``--of-capacity 0.25,0.95`` measures the service's highest rate first (a closed loop of
4 connections, the generator on the other CPUs) and takes those shares of it as rates.
For each rate and repeat, interleaved so every mode sees the same machine:

* ``profile``: ``servesize model profile --qps RATE --duration SECONDS --cc CPU``
  (confirmation and sizing off, 2 s capacity steps to save time); the figure is the
  measurement phase's ``lateSendShare`` from the details.
* ``standalone``: the same service launched under the same limit on the same CPU
  (``servesize.profiling.launcher.launch``, the highest CPU, as a profile places it),
  then ``servesize loadtest URL --rate RATE --duration SECONDS`` pinned with
  ``taskset`` to the other CPUs (where a profile keeps its generator).
* ``replay``: the same, replaying the Azure LLM trace (``tests/load/data/``) with
  ``--schedule`` sped up so that its mean rate is RATE, cut at SECONDS.

Variants, each run right after the other on the same machine: ``--realtime on,off``
runs every point with the sender's real-time priority allowed and refused
(``SERVESIZE_LOAD_REALTIME``); ``--before DIR`` (a ``src`` folder of an earlier commit,
e.g. from ``git archive OLD src | tar -x -C /tmp/old``) runs it with that code on
``PYTHONPATH`` too, and ``--after DIR`` a frozen copy of the current code.

``--trace DIR`` records every send of the generator processes (``bench/lateness_trace``)
and prints, for each run, its late sends by cause (no free connection, the generator's
own work, or waiting for a CPU) and the process's CPU time and CPU wait.

``lateSendShare`` is the share of measured requests written more than 1 ms after
their scheduled time.  Prints one JSON line per run and a median table (Markdown) at
the end, with the CPU model and the load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _common import BENCH, ROOT, free_port, servesize

BURN = ROOT / "tests" / "profiling" / "scripts" / "burn.py"
TRACE = ROOT / "tests" / "load" / "data" / "azure-llm-2023-conv.csv"
TRACER = BENCH / "lateness_trace"
SERVESIZE = [sys.executable, "-m", "servesize"]
sys.path.insert(0, str(TRACER))
from summary import attribute  # noqa: E402


class Run:
    """One variant's environment: the burn, the code on the path, the sender's priority,
    the trace folder."""

    def __init__(self, burn_ms: float, src: str | None, realtime: str | None) -> None:
        self.env = {**os.environ, "BURN_MS": str(burn_ms), "PYTHONUNBUFFERED": "1"}
        self.path = [src] if src else []
        if realtime is not None:
            self.env["SERVESIZE_LOAD_REALTIME"] = "1" if realtime == "on" else "0"
        self.trace: Path | None = None

    def environ(self) -> dict[str, str]:
        env = dict(self.env)
        path = ([str(TRACER)] if self.trace else []) + self.path
        if path:
            env["PYTHONPATH"] = os.pathsep.join(path)
        if self.trace:
            env["TRACE_DIR"] = str(self.trace)
        return env


def _setup(tmp: Path) -> Path:
    ws = tmp / "ws"
    (tmp / "src").mkdir()
    (tmp / "src" / "score.py").write_text(BURN.read_text())
    (tmp / "model.txt").write_text("{}\n")
    (tmp / "req.txt").write_text("[1]\n")
    servesize(ws, "model", "register", "--name", "m", "--path", str(tmp / "model.txt"), check=True)
    servesize(ws, "dataset", "register", "--name", "d", "--file", str(tmp / "req.txt"), check=True)
    return ws


def profile(
    tmp: Path, ws: Path, rate: float, cpu: float, seconds: float, n: int, run: Run
) -> float:
    out = tmp / f"profile-{n}.json"
    cmd = [
        *SERVESIZE, "model", "profile", "-n", f"p{n}", "-m", "m", "--idi", "d",
        "--es", str(tmp / "src" / "score.py"), "--sd", str(tmp / "src"),
        "--cc", str(cpu), "--qps", str(rate), "--duration", f"{seconds}s",
        "--min-queries", "1", "--setting", "confirm=false", "--setting", "sizing=false",
        "--setting", "capacity_step_seconds=2", "--workspace", str(ws), "-t", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, text=True, env=run.environ(), check=False)
    details = json.loads(out.read_text())
    return float(details["lateSendShare"])


def _wait_ready(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                if s.recv(16).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the service did not start")


@contextlib.contextmanager
def _service(tmp: Path, cpu: float, run: Run) -> Iterator[int]:
    """The burn service under ``cpu`` cores on the highest CPU, as a profile places it;
    yields its port.  The calling thread moves to the other CPUs meanwhile."""
    from servesize.profiling.launcher import launch

    cpus = sorted(os.sched_getaffinity(0))
    service_cpus, generator_cpus = (cpus[-1],), cpus[:-1] or cpus
    port = free_port()
    argv = [
        sys.executable, "-m", "servesize.serving", "--entry-script",
        str(tmp / "src" / "score.py"), "--source-directory", str(tmp / "src"),
        "--model-dir", str(tmp), "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    env = {k: v for k, v in run.environ().items() if k != "TRACE_DIR"}
    with launch(argv, env=env, cwd=tmp, log_path=tmp / "service.log", cpu=cpu, cpus=service_cpus):
        _wait_ready(port, time.monotonic() + 60)
        os.sched_setaffinity(0, generator_cpus)
        try:
            yield port
        finally:
            os.sched_setaffinity(0, cpus)


def capacity(tmp: Path, cpu: float, run: Run) -> float:
    """The service's highest rate: a closed loop of 4 connections for 4 s (after 1 s)."""
    from servesize.load import LoadSpec, run_load

    with _service(tmp, cpu, run) as port:
        url = f"http://127.0.0.1:{port}/score"
        spec = LoadSpec(url, [b"[1]"], concurrency=4, duration=4, warmup=1)
        return float(run_load(spec).metrics["measuredQueriesPerSecond"])


def standalone(
    tmp: Path, rate: float, cpu: float, seconds: float, n: int, run: Run, replay: bool
) -> float:
    from servesize.load import read_trace

    if replay:
        mean = read_trace(TRACE).summary().mean_queries_per_second or 1.0
        pace = ["--schedule", str(TRACE), "--traffic-speed", f"{rate / mean:.6f}"]
    else:
        pace = ["--rate", str(rate)]
    out = tmp / f"standalone-{n}.json"
    with _service(tmp, cpu, run) as port:
        cmd = [
            *SERVESIZE, "loadtest", f"http://127.0.0.1:{port}/score",
            "--file", str(tmp / "req.txt"), *pace, "--duration", f"{seconds}s",
            "--json-out", str(out),
        ]  # fmt: skip
        subprocess.run(cmd, capture_output=True, text=True, check=True, env=run.environ())
    return float(json.loads(out.read_text())["lateSendShare"])


def _traced(folder: Path) -> dict[str, object] | None:
    """The open-loop generator process with the most sends in a run's trace folder."""
    found = [attribute(p) for p in sorted(folder.glob("*.json"))]
    return max(found, key=lambda a: a["sends"], default=None)


def _variants(args: argparse.Namespace) -> Iterator[tuple[str, str | None, str | None]]:
    codes: list[tuple[str, str | None]] = [("", None)]
    if args.before:
        after = str(Path(args.after).resolve()) if args.after else None
        codes = [("after", after), ("before", str(Path(args.before).resolve()))]
    for code, src in codes:
        for realtime in args.realtime.split(",") if args.realtime else [None]:
            label = " ".join(x for x in (code, f"rt {realtime}" if realtime else "") if x)
            yield label, src, realtime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="10,20,40,80")
    parser.add_argument(
        "--of-capacity", help="rates as shares of the service's measured highest, e.g. 0.5,0.95"
    )
    parser.add_argument("--cpu", type=float, default=0.6)
    parser.add_argument("--burn-ms", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--modes", default="profile,standalone")
    parser.add_argument("--realtime", help="on,off: each point with and without real-time")
    parser.add_argument("--trace", help="record every send under this folder")
    parser.add_argument("--before", help="src folder of the code to compare with")
    parser.add_argument("--after", help="src folder of the current code (default: this tree)")
    args = parser.parse_args()
    variants = list(_variants(args))
    kinds = args.modes.split(",")
    modes = [f"{k} {label}".strip() for k in kinds for label, _, _ in variants]
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu_model = next((x.split(":", 1)[1].strip() for x in cpuinfo if "model name" in x), "?")
    print(f"CPU {cpu_model}; burn {args.burn_ms} ms a request under {args.cpu} cores")
    load_before = os.getloadavg()
    runs: dict[tuple[str, float], list[float]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        ws = _setup(tmp)
        rates = [float(r) for r in args.rates.split(",")]
        if args.of_capacity:
            highest = capacity(tmp, args.cpu, Run(args.burn_ms, None, None))
            print(f"capacity (closed loop, 4 connections, 4 s): {highest:.0f}/s")
            rates = [round(float(f) * highest) for f in args.of_capacity.split(",")]
        n = 0
        for _ in range(args.repeats):
            for rate in rates:
                for kind in kinds:
                    for label, src, realtime in variants:
                        n += 1
                        mode = f"{kind} {label}".strip()
                        run = Run(args.burn_ms, src, realtime)
                        if args.trace:
                            run.trace = Path(args.trace) / f"run-{n}"
                            run.trace.mkdir(parents=True, exist_ok=True)
                        if kind == "profile":
                            late = profile(tmp, ws, rate, args.cpu, args.seconds, n, run)
                        else:
                            replay = kind == "replay"
                            late = standalone(tmp, rate, args.cpu, args.seconds, n, run, replay)
                        runs.setdefault((mode, rate), []).append(late)
                        load = os.getloadavg()[0]
                        row: dict[str, object] = {
                            "mode": mode, "rate": rate, "late": late, "load": load
                        }  # fmt: skip
                        if run.trace:
                            row["trace"] = _traced(run.trace)
                        print(json.dumps(row), flush=True)
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f} {load_before[1]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f}")  # fmt: skip
    print("\n| rate q/s | " + " | ".join(f"{m}: median (runs)" for m in modes) + " |")
    print("|---:|" + "---|" * len(modes))
    for rate in rates:
        cells = []
        for mode in modes:
            vals = runs[(mode, rate)]
            shown = ", ".join(f"{v:.2%}" for v in vals)
            cells.append(f"{statistics.median(vals):.2%} ({shown})")
        print(f"| {rate:g} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
