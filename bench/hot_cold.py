"""What a request of the example costs alone and in a burst.

Serves the bundled example (``servesize serve``, on a free loopback port) and sends it
the same request in four patterns of about 10 requests a second or more, one at a time
on one keep-alive connection: alone every 100 ms, alone every 20 ms, in bursts of 5
every 500 ms and in bursts of 20 every 2 s. For each it records the service's CPU per
request (from /proc, 10 ms ticks) and the median latency.

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
import sys
import time
from pathlib import Path

from _common import BENCH, EXAMPLES, append_json_run, free_port, uptime

HEADER = "# Planning for a trace (bench/plan_trace.py, bench/replica_tail.py)\n"
RESULTS = BENCH / "RESULTS-plan.md"
#: (requests a burst, seconds between bursts)
PATTERNS = ((1, 0.1), (1, 0.02), (5, 0.5), (20, 2.0))


def ticks(pid: int) -> int:
    """User and system CPU ticks of ``pid`` (fields 14 and 15 of its stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def run(pid: int, port: int, body: bytes, burst: int, gap: float, seconds: float) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies: list[float] = []
    before = ticks(pid)
    start = due = time.monotonic()
    while time.monotonic() - start < seconds:
        for _ in range(burst):
            sent = time.perf_counter()
            conn.request("POST", "/score", body, {"Content-Type": "application/json"})
            conn.getresponse().read()
            latencies.append((time.perf_counter() - sent) * 1000.0)
        due += gap
        time.sleep(max(0.0, due - time.monotonic()))
    used_ms = (ticks(pid) - before) * 10.0
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
    command = [
        sys.executable, "-m", "servesize", "serve", "--entry-script", str(EXAMPLES / "score.py"),
        "--source-directory", str(EXAMPLES), "--model-dir", str(EXAMPLES / "model"),
        "--port", str(port),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pid = _serving_pid(server, port)
        rows = [
            run(pid, port, body, burst, gap, args.seconds)
            for _ in range(args.repeat)
            for burst, gap in PATTERNS
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(append_json_run(RESULTS, "hot_cold.py", load, {"runs": rows}, HEADER))
    return 0


def _serving_pid(server: subprocess.Popen[bytes], port: int) -> int:
    """The process answering on ``port`` once it answers (the CLI execs the server in a
    process of its own, whose CPU is the service's)."""
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the example's server exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            break
        except OSError:
            time.sleep(0.1)
    found = subprocess.run(
        ["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = [int(p) for p in found if int(p) != server.pid]
    return pids[0] if pids else server.pid


if __name__ == "__main__":
    raise SystemExit(main())
