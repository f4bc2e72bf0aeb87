"""Benchmark: servesize vs azmlinfsrv, requests/s and server CPU per request, under wrk.

Each server runs one worker pinned to CPU 0 (taskset); wrk runs pinned to CPU 1 with
keep-alive connections.  Two entry scripts: a trivial one and the example
scikit-learn model (examples/score.py + examples/model).  Results are appended as
Markdown to bench/RESULTS-server.md.  Usage:

    .venv/bin/python bench/server.py [--duration 10] [--connections 8] [--out PATH]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _common import ROOT, free_port, machine, run_heading

AZMLINFSRV = os.environ.get("SERVESIZE_AZMLINFSRV", str(ROOT / ".venv-azml/bin/azmlinfsrv"))
TRIVIAL = "def init():\n    pass\n\n\ndef run(data):\n    return 'ok'\n"


def wait_healthy(port: int, proc: subprocess.Popen[bytes], deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not become healthy")


def server_cpu(pid: int) -> float:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def wrk(url: str, body: str, duration: int, connections: int, workdir: Path) -> dict[str, float]:
    lua = workdir / "post.lua"
    escaped = body.replace("\\", "\\\\").replace('"', '\\"')
    lua.write_text(
        f'wrk.method = "POST"\nwrk.body = "{escaped}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    argv = [
        "taskset",
        "-c",
        "1",
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "-s",
        str(lua),
        url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": requests,
        "rps": rps,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "none",
        "argv": " ".join(argv),
    }  # type: ignore[dict-item]


def run_one(
    server: str, script: Path, model_dir: Path, body: str, args: argparse.Namespace, workdir: Path
) -> dict[str, float]:
    port = free_port()
    if server == "servesize":
        cmd = [
            sys.executable,
            "-m",
            "servesize.serving",
            "--entry-script",
            str(script),
            "--port",
            str(port),
            "--model-dir",
            str(model_dir),
            "--workers",
            "1",
        ]
    else:
        cmd = [
            AZMLINFSRV,
            "--entry_script",
            str(script),
            "--port",
            str(port),
            "--model_dir",
            str(model_dir),
            "--worker_count",
            "1",
        ]
    log = (workdir / f"{server}.log").open("wb")
    proc = subprocess.Popen(
        ["taskset", "-c", "0", *cmd],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
        start_new_session=True,
    )
    try:
        wait_healthy(port, proc)
        url = f"http://127.0.0.1:{port}/score"
        wrk(url, body, 2, args.connections, workdir)  # warm-up, not counted
        cpu0 = server_cpu(proc.pid)
        result = wrk(url, body, args.duration, args.connections, workdir)
        cpu = server_cpu(proc.pid) - cpu0
        result["cpu_ms_per_request"] = 1000 * cpu / max(result["requests"], 1)
        return result
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS-server.md")
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (apt-get install wrk util-linux)")
    sample = (ROOT / "examples" / "sample-requests.txt").read_text().splitlines()[0]
    with tempfile.TemporaryDirectory(prefix="servesize-bench-") as tmp:
        workdir = Path(tmp)
        trivial = workdir / "trivial.py"
        trivial.write_text(TRIVIAL)
        cases = [
            ("trivial", trivial, workdir, '{"x": 1}'),
            ("sklearn", ROOT / "examples" / "score.py", ROOT / "examples" / "model", sample),
        ]
        rows = []
        load_before = os.getloadavg()
        for name, script, model_dir, body in cases:
            for server in ("servesize", "azmlinfsrv"):
                result = run_one(server, script, model_dir, body, args, workdir)
                rows.append((name, server, result))
                print(
                    f"{name:8} {server:10} {result['rps']:>10.0f} req/s "
                    f"{result['cpu_ms_per_request']:.3f} ms CPU/req non2xx={result['non2xx']}"
                )
        load_after = os.getloadavg()
    write_results(args, rows, load_before, load_after)


def write_results(
    args: argparse.Namespace,
    rows: list[tuple[str, str, dict[str, float]]],
    load_before: tuple[float, ...],
    load_after: tuple[float, ...],
) -> None:
    lines = [
        run_heading(),
        f"{machine()}; load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}.\n",
        f"Command: `.venv/bin/python bench/server.py --duration {args.duration} "
        f"--connections {args.connections}`; wrk: `{rows[0][2]['argv']}` (URL varies).\n",
        "| script | server | requests/s | server CPU ms / request | non-2xx | socket errors |",
        "|---|---|---:|---:|---:|---|",
    ]
    by_key = {(n, s): r for n, s, r in rows}
    for name, server, r in rows:
        lines.append(
            f"| {name} | {server} | {r['rps']:.0f} | {r['cpu_ms_per_request']:.3f} | "
            f"{r['non2xx']} | {r['socket_errors']} |"
        )
    for name in dict.fromkeys(n for n, _, _ in rows):
        ratio = by_key[(name, "servesize")]["rps"] / max(by_key[(name, "azmlinfsrv")]["rps"], 1e-9)
        lines.append(f"\n{name}: servesize serves **{ratio:.1f}x** azmlinfsrv's requests/s.")
    with args.out.open("a") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
