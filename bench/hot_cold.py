"""What a request of the example costs alone and in a burst.

Serves the bundled example (``servesize serve``, on a free loopback port) and sends it
the same request one at a time on one keep-alive connection: alone every 5, 10, 20,
50, 100 and 200 ms, in bursts of 5 every 500 ms and in bursts of 20 every 2 s (the idle
gap before a request is the period less its service time, about 3.5 ms). For each it
records the service's CPU per request (from /proc, 10 ms ticks) and the median latency.

Why: a plan's model charges each request the CPU a request burnt in the profile's runs
at the planned limits, and at a low rate those requests arrive alone. If a request in a
burst costs less, the model over-drains the quota exactly in the bursts that decide
throttling (docs/planning.md, "A real run").

    .venv/bin/python bench/hot_cold.py [--seconds 20] [--repeat 2]

Appends to bench/RESULTS-plan.md with the command, ``uptime`` and the CPU model.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import time

from _common import (
    EXAMPLES,
    append_json_run,
    cpu_seconds,
    descendants,
    free_port,
    serve_example_command,
    uptime,
    wait_answering,
)
from plan_trace import HEADER, RESULTS

#: (requests a burst, seconds between bursts)
PATTERNS = ((1, 0.005), (1, 0.01), (1, 0.02), (1, 0.05), (1, 0.1), (1, 0.2), (5, 0.5), (20, 2.0))


def run(pids: list[int], port: int, body: bytes, burst: int, gap: float, seconds: float) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies: list[float] = []
    before = cpu_seconds(pids)
    start = due = time.monotonic()
    while time.monotonic() - start < seconds:
        for _ in range(burst):
            sent = time.perf_counter()
            conn.request("POST", "/score", body, {"Content-Type": "application/json"})
            conn.getresponse().read()
            latencies.append((time.perf_counter() - sent) * 1000.0)
        due += gap
        time.sleep(max(0.0, due - time.monotonic()))
    used_ms = (cpu_seconds(pids) - before) * 1000.0
    conn.close()
    latencies.sort()
    return {
        "burst": burst,
        "everyMs": round(gap * 1000.0),
        "requests": len(latencies),
        "cpuMsPerRequest": round(used_ms / len(latencies), 2),
        "p50Ms": round(latencies[len(latencies) // 2], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    load = uptime()
    port = free_port()
    body = (EXAMPLES / "sample-requests.txt").read_text().splitlines()[0].encode()
    server = subprocess.Popen(
        serve_example_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_answering(port)
        pids = descendants(server.pid)  # the CLI execs the server: its CPU is the service's
        rows = [
            run(pids, port, body, burst, gap, args.seconds)
            for _ in range(args.repeat)
            for burst, gap in PATTERNS
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(append_json_run(RESULTS, "hot_cold.py", load, {"runs": rows}, HEADER))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
