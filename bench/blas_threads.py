"""BLAS threads against a fractional CPU quota: why the sizing matches them to the cores.

Serves tests/profiling/scripts/matmul.py (numpy matrix products, OpenBLAS) under a
0.5-core quota on both CPUs of the machine, once with as many BLAS threads as the
machine has cores and once with ceil(0.5) = 1, drives the same open-loop load at each,
and appends p50/p99, CPU used and the throttled share of CFS periods to
bench/RESULTS-sizing.md.

    .venv/bin/python bench/blas_threads.py --rate 8 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _common import BENCH, append_table, uptime

from servesize.load import LoadSpec, run_load
from servesize.profiling import launch
from servesize.profiling._service import THREAD_VARIABLES
from servesize.profiling._throttle import throttle_counts

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "profiling" / "scripts"


def one(threads: int, cores: float, rate: float, seconds: float, port: int) -> dict[str, object]:
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(threads)), "MATMULS": "6"}
    argv = [
        sys.executable, "-m", "servesize.serving", "--entry-script", str(SCRIPTS / "matmul.py"),
        "--source-directory", str(SCRIPTS), "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, launch(
        argv, env=env, cwd=SCRIPTS, log_path=Path(tmp) / "service.log", cpu=cores,
        cpus=tuple(sorted(os.sched_getaffinity(0))),
    ) as service:  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        service.wait_ready(url, 60)
        body = [json.dumps({"data": [[1, 2]]}).encode()]
        run_load(LoadSpec(url=url + "/score", bodies=body, concurrency=1, duration=2.0))
        cpu, throttle = service.cpu_seconds(), throttle_counts(service)
        result = run_load(LoadSpec(url=url + "/score", bodies=body, rate=rate, duration=seconds))
        after = throttle_counts(service)
        m = result.metrics
        return {
            "threads": threads,
            "p50": m.get("latencyPercentile50InMs"),
            "p99": m.get("latencyPercentile99InMs"),
            "cpu": round((service.cpu_seconds() - cpu) / float(m["durationSeconds"]), 3),
            "throttled": after.share_since(throttle) if after else None,
            "ok": m.get("successRate"),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=8.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cores", type=float, default=0.5)
    args = parser.parse_args()
    load = uptime()
    machine = len(os.sched_getaffinity(0))
    rows = [
        one(threads, args.cores, args.rate, args.seconds, 18_000 + threads)
        for threads in (machine, 1)
    ]
    keys = ("threads", "p50", "p99", "cpu", "throttled", "ok")
    text = append_table(
        BENCH / "RESULTS-sizing.md",
        f"BLAS threads under a {args.cores:g}-core quota",
        load,
        f"`.venv/bin/python bench/blas_threads.py --rate {args.rate:g} --seconds "
        f"{args.seconds:g} --cores {args.cores:g}` (matmul.py, 6 products of 256 x 256 a "
        f"request, the service on all {machine} CPUs, open loop).",
        ("BLAS threads", "p50 ms", "p99 ms", "CPU used (cores)", "throttled periods", "success"),
        [[r[k] for k in keys] for r in rows],
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
