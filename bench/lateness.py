"""Benchmark: does the generator keep its schedule inside a profile as well as alone?

    .venv/bin/python bench/lateness.py [--rates 10,20,40,80] [--cpu 0.6] [--repeats 3]
                                       [--seconds 20] [--modes profile,standalone]
                                       [--before DIR] [--after DIR]

The service is the ground-truth script ``tests/profiling/scripts/burn.py`` with
``BURN_MS=10`` (10 ms of CPU per request) under a ``--cpu`` core limit.  For each rate
(Poisson arrivals) and repeat, interleaved so both modes see the same machine:

* ``profile``: ``servesize model profile --qps RATE --duration SECONDS --cc CPU``
  (confirmation off, 2 s capacity steps to save time); the figure is the measurement
  phase's ``lateSendShare`` from the details.
* ``standalone``: the same service launched under the same limit on the same CPU
  (``servesize.profiling.launcher.launch``, the highest CPU, as a profile places it),
  then ``servesize loadtest URL --rate RATE --duration SECONDS`` pinned with
  ``taskset`` to the other CPUs (where a profile keeps its generator); the figure is
  its ``lateSendShare``.

With ``--before DIR`` (a ``src`` folder of an earlier commit, e.g. from
``git archive OLD src | tar -x -C /tmp/old``) every run is also done with that code on
``PYTHONPATH``, right after the current code's, so both see the same machine: on a
shared machine only such interleaved pairs compare fairly.  ``--after DIR`` runs a
frozen copy of the current code the same way (so editing the tree meanwhile does not
change what is measured).

``lateSendShare`` is the share of measured requests written more than 1 ms after
their scheduled time.  Prints one JSON line per run and a median table (Markdown) at
the end, with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, free_port, servesize

BURN = ROOT / "tests" / "profiling" / "scripts" / "burn.py"
SERVESIZE = [sys.executable, "-m", "servesize"]


def _env(src: str | None) -> dict[str, str]:
    """The environment of a run: ``BURN_MS=10``, and ``src`` first on the path if given."""
    env = {**os.environ, "BURN_MS": "10", "PYTHONUNBUFFERED": "1"}
    if src:
        env["PYTHONPATH"] = src
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
    tmp: Path, ws: Path, rate: float, cpu: float, seconds: float, n: int, src: str | None
) -> float:
    out = tmp / f"profile-{n}.json"
    cmd = [
        *SERVESIZE, "model", "profile", "-n", f"p{n}", "-m", "m", "--idi", "d",
        "--es", str(tmp / "src" / "score.py"), "--sd", str(tmp / "src"),
        "--cc", str(cpu), "--qps", str(rate), "--duration", f"{seconds}s",
        "--min-queries", "1", "--setting", "confirm=false",
        "--setting", "capacity_step_seconds=2", "--workspace", str(ws), "-t", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, text=True, env=_env(src), check=False)
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


def standalone(
    tmp: Path, rate: float, cpu: float, seconds: float, n: int, src: str | None
) -> float:
    from servesize.profiling.launcher import launch

    cpus = sorted(os.sched_getaffinity(0))
    service_cpus, generator_cpus = (cpus[-1],), cpus[:-1] or cpus
    port = free_port()
    argv = [
        sys.executable, "-m", "servesize.serving", "--entry-script",
        str(tmp / "src" / "score.py"), "--source-directory", str(tmp / "src"),
        "--model-dir", str(tmp), "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    out = tmp / f"standalone-{n}.json"
    with launch(
        argv, env=_env(src), cwd=tmp, log_path=tmp / "service.log", cpu=cpu, cpus=service_cpus
    ):
        _wait_ready(port, time.monotonic() + 60)
        cmd = [
            "taskset", "-c", ",".join(map(str, generator_cpus)), *SERVESIZE, "loadtest",
            f"http://127.0.0.1:{port}/score", "--file", str(tmp / "req.txt"),
            "--rate", str(rate), "--duration", f"{seconds}s", "--json-out", str(out),
        ]  # fmt: skip
        subprocess.run(cmd, capture_output=True, text=True, check=True, env=_env(src))
    return float(json.loads(out.read_text())["lateSendShare"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="10,20,40,80")
    parser.add_argument("--cpu", type=float, default=0.6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--modes", default="profile,standalone")
    parser.add_argument("--before", help="src folder of the code to compare with")
    parser.add_argument("--after", help="src folder of the current code (default: this tree)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    codes: list[tuple[str, str | None]] = [("", None)]
    if args.before:
        after = str(Path(args.after).resolve()) if args.after else None
        codes = [("after", after), ("before", str(Path(args.before).resolve()))]
    modes = [f"{m} {c}".strip() for m in args.modes.split(",") for c, _ in codes]
    load_before = os.getloadavg()
    runs: dict[tuple[str, float], list[float]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        ws = _setup(tmp)
        n = 0
        for _ in range(args.repeats):
            for rate in rates:
                for kind in args.modes.split(","):
                    for code, src in codes:
                        n += 1
                        mode = f"{kind} {code}".strip()
                        if kind == "profile":
                            late = profile(tmp, ws, rate, args.cpu, args.seconds, n, src)
                        else:
                            late = standalone(tmp, rate, args.cpu, args.seconds, n, src)
                        runs.setdefault((mode, rate), []).append(late)
                        load = os.getloadavg()[0]
                        row = {"mode": mode, "rate": rate, "late": late, "load": load}
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
