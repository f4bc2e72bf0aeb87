"""Benchmark: how well the open-loop pacer keeps its schedule, and what it costs.

    python bench/pacer.py [--seconds 10] [--rates 200,1000,5000] [--cpu 1] [--timers timerfd,loop]

Starts the test suite's fixture server (``tests/load/fixture_server.py``, route
``/fast``) pinned to the other CPU, then for each rate runs the generator in a child
process pinned to ``--cpu`` with ``taskset``, at a constant rate, twice: alone, and
with a competing busy loop (``while True: pass``) pinned to the same CPU.  For each
run it prints ``lateSendShare`` (the engine's own count of sends > 1 ms late), the
p50/p99/max of send lateness taken independently right before each socket write,
and the generator process's CPU use (psutil user+system time / wall time of the run).
Each run is done once per ``--timers`` kind, interleaved so both see the same machine:
``timerfd`` (the pacer's default on Linux) and ``loop`` (the portable fallback,
``SERVESIZE_LOAD_TIMER=loop``: the loop's ms timers, then busy-polling the loop for the
last 1.2 ms, which is what the pacer did everywhere before the timerfd).
Needs two CPUs and ``taskset``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "load" / "fixture_server.py"

#: The generator child: wraps ``Connection.send`` to time each write itself, so the
#: lateness figures do not trust the engine's own clock readings.
WORKER = """
import json, sys, time
import psutil
from servesize.load import LoadSpec, run_load
from servesize.load import _client, _engine

lateness = []
reused = [0, 0]  # sends on an already used connection, and how many were > 1 ms late
opened = [0]
class Timed(_client.Connection):
    __slots__ = ()
    def __init__(self, owner):
        opened[0] += 1
        super().__init__(owner)
    def send(self, due, sent, data):
        late = time.monotonic_ns() - due
        lateness.append(late)
        if self.due:
            reused[0] += 1
            reused[1] += late > 1_000_000
        super().send(due, sent, data)
_engine.Connection = Timed

url, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
proc = psutil.Process()
c0, w0 = proc.cpu_times(), time.monotonic()
r = run_load(LoadSpec(url, [b""], method="GET", rate=rate, arrival="constant",
                      duration=seconds, warmup=0))
c1, w1 = proc.cpu_times(), time.monotonic()
cpu = (c1.user + c1.system - c0.user - c0.system) / (w1 - w0)
lateness.sort()
n = len(lateness)
pick = lambda q: lateness[min(n - 1, int(q * n))] / 1000
print(json.dumps({"queries": r.metrics["totalQueries"], "late": r.metrics["lateSendShare"],
                  "p50us": pick(0.5), "p99us": pick(0.99), "maxus": lateness[-1] / 1000,
                  "cpu": cpu, "conns": opened[0], "reusedLate": reused[1] / max(reused[0], 1)}))
"""


def run(url: str, rate: float, seconds: float, cpu: int, timer: str) -> dict[str, float]:
    argv = ["taskset", "-c", str(cpu), sys.executable, "-c", WORKER, url, str(rate), str(seconds)]
    env = {**os.environ, "SERVESIZE_LOAD_TIMER": timer}
    out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout
    result: dict[str, float] = json.loads(out.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rates", default="200,1000,5000")
    parser.add_argument("--cpu", type=int, default=1, help="the generator's CPU")
    parser.add_argument("--timers", default="timerfd,loop")
    args = parser.parse_args()
    other = 1 - args.cpu if args.cpu in (0, 1) else 0
    server = subprocess.Popen(
        ["taskset", "-c", str(other), sys.executable, str(SERVER)],
        stdout=subprocess.PIPE,
        text=True,
    )
    busy: subprocess.Popen[bytes] | None = None
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/fast"
        print(
            "| rate | busy loop on the core | timer | lateSendShare "
            "| lateness p50 | p99 | max | CPU | connections | late on reused conns |"
        )
        print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for rate in (float(r) for r in args.rates.split(",")):
            for shared, timer in ((s, t) for s in (False, True) for t in args.timers.split(",")):
                if shared:
                    loop = [sys.executable, "-c", "while True: pass"]
                    busy = subprocess.Popen(["taskset", "-c", str(args.cpu), *loop])
                    time.sleep(0.2)  # let the busy loop start spinning
                try:
                    r = run(url, rate, args.seconds, args.cpu, timer)
                finally:
                    if busy is not None:
                        busy.kill()
                        busy.wait()
                        busy = None
                print(
                    f"| {rate:,.0f} | {'yes' if shared else 'no'} | {timer} | {r['late']:.2%} "
                    f"| {r['p50us']:.0f} µs | {r['p99us']:.0f} µs | {r['maxus']:,.0f} µs "
                    f"| {r['cpu']:.0%} | {r['conns']:,} | {r['reusedLate']:.2%} |",
                    flush=True,
                )
    finally:
        server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()


if __name__ == "__main__":
    main()
