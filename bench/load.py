"""Benchmark: servesize's load generator against wrk, both on one core, against nginx.

    python bench/load.py [--seconds 10] [--rate 2000] [--connections 64]

Needs Debian's ``nginx`` and ``wrk`` (``apt-get install nginx wrk``) and two cores:
nginx (one worker) is pinned to CPU 0, each generator to CPU 1 with ``taskset``.
Prints a Markdown table and the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import free_port

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 120;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ return 200 "ok\\n"; }}
        location = /nginx-status {{ stub_status; }}
    }}
}}
"""

#: wrk has no rate mode; ``delay()`` (ms before each request, per connection) paces it.
WRK_DELAY = "function delay() return {ms} end\n"

SERVESIZE = """
import json, sys
from servesize.load import LoadSpec, run_load
kw = json.loads(sys.argv[1])
r = run_load(LoadSpec(sys.argv[2], [b""], method="GET", **kw))
print(json.dumps(r.metrics))
"""


def wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("nginx did not start")


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": rps,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)],  # type: ignore[union-attr]
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)],  # type: ignore[union-attr]
    }


def nginx_requests(url: str) -> int:
    """Requests nginx has served (its stub_status), to check the generator's own count."""
    with urllib.request.urlopen(url + "nginx-status", timeout=10) as response:
        return int(response.read().decode().split("\n")[2].split()[2])


def servesize(url: str, **spec: object) -> dict[str, float]:
    argv = ["taskset", "-c", "1", sys.executable, "-c", SERVESIZE, json.dumps(spec), url]
    before = nginx_requests(url)
    m = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    served = nginx_requests(url) - before - 1  # minus the status request itself
    return {
        "nginx_served": served,
        "total": m["totalQueries"],
        "rps": m["measuredQueriesPerSecond"],
        "p50_ms": m["latencyPercentile50InMs"],
        "p99_ms": m["latencyPercentile99InMs"],
        "service_p50_ms": m["serviceTimePercentile50InMs"],
        "service_p99_ms": m["serviceTimePercentile99InMs"],
        "late": m["lateSendShare"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for tool in ("nginx", "wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install nginx wrk util-linux")
    with tempfile.TemporaryDirectory(prefix="servesize-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        port = free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
        nginx = subprocess.Popen(["taskset", "-c", "0", "nginx", "-c", str(conf), "-p", str(tmp)])
        try:
            wait_port(port, time.monotonic() + 10)
            url = f"http://127.0.0.1:{port}/"
            # ~rate req/s from 4 paced wrk connections: each waits 4/rate s between requests
            script = tmp / "delay.lua"
            script.write_text(WRK_DELAY.format(ms=4 * 1000.0 / args.rate))
            rows: dict[str, list[dict[str, float]]] = {}
            for _ in range(args.rounds):  # interleaved, so drift of the machine hits both
                rows.setdefault("wrk max", []).append(
                    wrk(url, args.seconds, args.connections, None)
                )
                rows.setdefault("servesize max", []).append(
                    servesize(url, concurrency=args.connections, duration=args.seconds)
                )
                rows.setdefault("wrk paced", []).append(wrk(url, args.seconds, 4, script))
                rows.setdefault("servesize rate", []).append(
                    servesize(url, rate=args.rate, arrival="constant", duration=args.seconds)
                )
        finally:
            nginx.terminate()
            nginx.wait(10)
    print(json.dumps({"args": vars(args), "runs": rows}, indent=1))
    print("\n| run | round | req/s | p50 ms | p99 ms | service p50 ms | late sends | nginx saw |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in rows.items():
        for i, r in enumerate(runs, 1):
            service = r.get("service_p50_ms", "")
            late = f"{r['late']:.2%}" if "late" in r else ""
            seen = f"{r['nginx_served']:,} of {r['total']:,}" if "total" in r else ""
            print(
                f"| {name} | {i} | {r['rps']:,.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} "
                f"| {service} | {late} | {seen} |"
            )
    pairs = zip(rows["servesize max"], rows["wrk max"], strict=True)
    for i, (ours, theirs) in enumerate(pairs, 1):
        ratio = ours["rps"] / theirs["rps"]
        print(f"round {i}: servesize / wrk max rate on one core: {ratio:.0%}")


if __name__ == "__main__":
    main()
