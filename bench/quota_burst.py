"""How the kernel's CPU quota treats a burst, against the queueing model's quota.

Serves the bundled example (``servesize serve``) in a cgroup of its own under a CPU
quota (0.2 cores by default: 20 ms of CPU every 100 ms period), on one CPU, and sends it
bursts of k requests at once (k keep-alive connections, all released together), one
burst every 0.5-0.6 s (a different phase of the period each time). For each k it
records the median latency of the 1st, 2nd, ... request of a burst to be answered,
the CPU per request, the kernel's throttled periods, and what the model
(``servesize.profiling.queueing``) predicts for the same bursts at the CPU per request
measured: as profiles have it, with the quota noticed at the kernel's tick
(``modelMedianMsByPosition``), and with the quota enforced exactly
(``exactQuotaMedianMsByPosition``, the model before it knew the tick).

Why: a plan's confirmation at 0.2 cores measured calm minutes at 9-11 ms where the
model, even at the CPU the replicas measured, predicted 25-46 ms (bench/RESULTS-plan.md,
18:15 UTC). If the kernel lets a burst run past the quota (it accounts a running task's
time at its scheduler tick, and carries the overrun into the next period as a debt),
the model throttles bursts the kernel lets through.

    .venv/bin/python bench/quota_burst.py [--cpu 0.2] [--bursts 20] [--sizes 1,3,5,6,8]

Appends to bench/RESULTS-plan.md with the command, ``uptime``, the CPU model and the
kernel's tick rate (``CONFIG_HZ``, where the kernel's config says it).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import threading
import time

import numpy as np
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

from servesize.profiling._service import kernel_hz
from servesize.profiling.limits import Cgroup, detect
from servesize.profiling.queueing import ServiceModel


def modelled(k: int, cpu_ms: float, cores: float, bursts: int, tick: float) -> list[float]:
    """The model's median latency (ms) by position, for bursts of k at random phases,
    with the quota noticed at a ``tick`` (s; 0: enforced exactly)."""
    rng = np.random.default_rng(1)
    starts = np.cumsum(0.5 + rng.uniform(0.0, 0.1, bursts * 10))
    arrivals = np.repeat(starts, k) + np.tile(np.arange(k) * 1e-6, starts.size)
    model = ServiceModel(work=(cpu_ms / 1000.0,), tick=tick)
    lat = model.latencies_at(arrivals, cores, 1, seed=0).reshape(-1, k)
    return [round(float(np.median(np.sort(lat, axis=1)[:, j])) * 1000.0, 1) for j in range(k)]


def throttled(cgroup: Cgroup) -> tuple[int, int]:
    counts = cgroup.throttling()
    return (0, 0) if counts is None else (counts.periods, counts.throttled)


def sizes_run(port: int, pids: list[int], cgroup: Cgroup, k: int, bursts: int) -> dict:
    body = (EXAMPLES / "sample-requests.txt").read_text().splitlines()[0].encode()
    headers = {"Content-Type": "application/json"}
    conns = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(k)]
    for c in conns:  # connected and warm before the first burst
        c.request("POST", "/score", body, headers)
        c.getresponse().read()
    positions: list[list[float]] = [[] for _ in range(k)]
    periods0, throttled0 = throttled(cgroup)
    cpu0 = cpu_seconds(pids)
    for b in range(bursts):
        time.sleep(0.5 + (b * 0.037) % 0.1)  # idle between bursts: not what is measured
        latencies = [0.0] * k
        gate = threading.Barrier(k)

        def one(i: int, gate: threading.Barrier = gate, latencies: list[float] = latencies) -> None:
            gate.wait()
            sent = time.perf_counter()
            conns[i].request("POST", "/score", body, headers)
            conns[i].getresponse().read()
            latencies[i] = (time.perf_counter() - sent) * 1000.0

        threads = [threading.Thread(target=one, args=(i,)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for j, value in enumerate(sorted(latencies)):
            positions[j].append(value)
    periods1, throttled1 = throttled(cgroup)
    cpu_ms = (cpu_seconds(pids) - cpu0) * 1000.0 / (k * bursts)
    for c in conns:
        c.close()
    return {
        "burst": k,
        "cpuMsPerRequest": round(cpu_ms, 2),
        "throttledPeriods": throttled1 - throttled0,
        "periods": periods1 - periods0,
        "medianMsByPosition": [round(statistics.median(p), 1) for p in positions],
        "maxMsOfLast": round(max(positions[-1]), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cpu", type=float, default=0.2)
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--sizes", default="1,3,5,6,8")
    args = parser.parse_args()
    load = uptime()
    support = detect()
    if support.version is None:
        raise SystemExit(f"no cgroups to put a quota on: {support.reason}")
    cgroup = Cgroup.create(support, cpu=args.cpu)
    port = free_port()
    server = subprocess.Popen(
        ["taskset", "-c", "1", *serve_example_command(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=cgroup.preexec(),  # only raw os calls after fork (Cgroup.preexec)
    )
    hz = kernel_hz()
    tick = 1.0 / hz if hz else 0.0  # as a profile's model has it
    rows = []
    try:
        wait_answering(port)
        pids = descendants(server.pid)
        for k in (int(x) for x in args.sizes.split(",")):
            row = sizes_run(port, pids, cgroup, k, args.bursts)
            cpu_ms = row["cpuMsPerRequest"]
            row["modelMedianMsByPosition"] = modelled(k, cpu_ms, args.cpu, args.bursts, tick)
            row["exactQuotaMedianMsByPosition"] = modelled(k, cpu_ms, args.cpu, args.bursts, 0.0)
            rows.append(row)
    finally:
        server.terminate()
        server.wait(timeout=10)
        cgroup.remove()
    figures = {"cpu": args.cpu, "kernelHz": hz, "runs": rows}
    print(append_json_run(RESULTS, "quota_burst.py", load, figures, HEADER))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
