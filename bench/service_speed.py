"""How steady the example's own speed is, window by window, beside the machine's.

    .venv/bin/python bench/service_speed.py [--seconds 120] [--rate 30]

The bundled example is served (``servesize serve``) pinned to one CPU, and this process,
pinned to the other, sends it the same request at a fixed ``--rate`` one at a time (well
below its capacity: no queue). Every ``--window`` seconds it records the requests' p50 and
p90, the service's CPU per request (its processes' utime + stime from /proc), the
hypervisor's steal time (/proc/stat), and the median CPU time of one fixed pure-Python
loop run every 100 ms by a probe pinned to each CPU (``time.thread_time``: waiting for the
CPU is not in it; what moves it is how fast the vCPU runs the same instructions).

Appends to bench/RESULTS-repeat.md the windows, the spread of the service's CPU per
request (median, min, max, share of windows more than 15% above the median) and its
correlation with each probe. Nothing about the service changes between windows: what
moves is the machine. A profile's trials of 5-10 s see the same spells, which is why the
example's recommendation varies between profiles while a script that burns a fixed CPU
time (``bench/repeat.py --burn-ms 15``) repeats.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import (
    BENCH,
    EXAMPLES,
    append_results,
    cpu_model,
    cpu_seconds,
    descendants,
    example_model,
    free_port,
    machine,
    run_heading,
    serve_example_command,
    uptime,
    wait_answering,
)

RESULTS = BENCH / "RESULTS-repeat.md"
HEADER = "# Repeatability (bench/repeat.py, bench/machine_speed.py, bench/service_speed.py)\n"

# the probe: one fixed loop every 100 ms, CPU time of the loop, the median of each window
_PROBE = """
import statistics, sys, time
window, seconds = float(sys.argv[1]), float(sys.argv[2])
start = last = time.monotonic(); samples = []
while time.monotonic() - start < seconds:
    t = time.thread_time(); s = 0
    for i in range(5000):
        s += i * i % 7
    samples.append((time.thread_time() - t) * 1000.0)
    time.sleep(0.1)
    if time.monotonic() - last >= window:
        print(round(statistics.median(samples), 4), flush=True); samples = []; last += window
"""


def _pinned(cpu: int) -> Callable[[], None]:
    # run in the child before exec; this process starts no threads before it forks
    return lambda: os.sched_setaffinity(0, {cpu})


def _steal() -> int:
    with open("/proc/stat", encoding="ascii") as fh:
        return int(fh.readline().split()[8])


def _pearson(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 3 or statistics.pstdev(xs) == 0 or statistics.pstdev(ys) == 0:
        return float("nan")
    return statistics.correlation(xs, ys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--window", type=float, default=5.0)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        print("needs two CPUs: one for the service, one for this process", file=sys.stderr)
        return 2
    service_cpu, own_cpu = cpus[-1], cpus[0]
    before = uptime()
    example_model()
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    service = subprocess.Popen(
        serve_example_command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_pinned(service_cpu),
    )  # fmt: skip
    probes: list[subprocess.Popen[str]] = []
    try:
        os.sched_setaffinity(0, {own_cpu})
        body = (EXAMPLES / "sample-requests.txt").read_text().splitlines()[0].encode()
        wait_answering(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        pids = descendants(service.pid)
        probe = [sys.executable, "-c", _PROBE, str(args.window), str(args.seconds + 1)]
        for where in (service_cpu, own_cpu):
            started = subprocess.Popen(
                probe, stdout=subprocess.PIPE, text=True, preexec_fn=_pinned(where)
            )
            probes.append(started)
        windows: list[dict[str, Any]] = []
        start = next_send = time.monotonic()
        window_start, latencies = start, []
        cpu0, steal0 = cpu_seconds(pids), _steal()
        while time.monotonic() - start < args.seconds:
            now = time.monotonic()
            if now < next_send:
                time.sleep(next_send - now)  # pacing the open-loop schedule
            sent = time.perf_counter()
            conn.request("POST", "/score", body, {"Content-Type": "application/json"})
            conn.getresponse().read()
            latencies.append((time.perf_counter() - sent) * 1000.0)
            next_send += 1.0 / args.rate
            if time.monotonic() - window_start >= args.window:
                cpu1, steal1 = cpu_seconds(pids), _steal()
                ordered = sorted(latencies)
                windows.append(
                    {
                        "t": round(window_start - start, 1),
                        "n": len(ordered),
                        "p50": round(statistics.median(ordered), 2),
                        "p90": round(ordered[int(0.9 * len(ordered))], 2),
                        "cpuMsPerRequest": round((cpu1 - cpu0) * 1000.0 / len(ordered), 2),
                        "steal": steal1 - steal0,
                    }
                )
                window_start, latencies, cpu0, steal0 = time.monotonic(), [], cpu1, steal1
        for name, started in zip(("probeServiceCpu", "probeOwnCpu"), probes, strict=True):
            out, _ = started.communicate(timeout=30)
            values = [float(v) for v in out.split()]
            for row, value in zip(windows, values, strict=False):
                row[name] = value
    finally:
        children: list[subprocess.Popen[Any]] = [service, *probes]
        for proc in children:
            proc.terminate()
            proc.wait(timeout=30)
    cpu = [w["cpuMsPerRequest"] for w in windows]
    median = statistics.median(cpu)
    high = sum(1 for c in cpu if c > 1.15 * median) / len(cpu)
    correlation = {
        name: _pearson(
            [w["cpuMsPerRequest"] for w in windows if name in w],
            [w[name] for w in windows if name in w],
        )
        for name in ("probeServiceCpu", "probeOwnCpu")
    }
    lines = [
        run_heading(),
        f"{machine()}; CPU {cpu_model()}.\n",
        f"`uptime` before: `{before}`; after: `{uptime()}`.\n",
        f"Command: `.venv/bin/python bench/service_speed.py --seconds "
        f"{args.seconds:g} --rate {args.rate:g} --window {args.window:g}` (service on CPU "
        f"{service_cpu}, sender on CPU {own_cpu}).\n",
        "| t (s) | requests | p50 ms | p90 ms | service CPU ms/request | probe on its CPU ms | "
        "probe on the sender's ms | steal ticks |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {w['t']} | {w['n']} | {w['p50']} | {w['p90']} | {w['cpuMsPerRequest']} | "
        f"{w.get('probeServiceCpu', '')} | {w.get('probeOwnCpu', '')} | {w['steal']} |"
        for w in windows
    ]
    lines.append(
        f"\nService CPU per request over {len(cpu)} windows: median {median:.2f} ms, "
        f"{min(cpu):.2f}-{max(cpu):.2f} ms ({max(cpu) / min(cpu) - 1:.0%} apart), "
        f"{high:.0%} of windows more than 15% above the median; correlation with the "
        f"probe on the service's CPU {correlation['probeServiceCpu']:.2f}, on the "
        f"sender's {correlation['probeOwnCpu']:.2f}; steal {sum(w['steal'] for w in windows)} "
        "ticks in all.\n"
    )
    text = "\n".join(lines)
    append_results(RESULTS, text, HEADER)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
