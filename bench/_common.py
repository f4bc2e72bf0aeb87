"""What the benchmarks share, defined once: paths, the machine and its load, a free
loopback port, the servesize CLI on the bundled example, and appending to RESULTS files.

Scripts run as ``.venv/bin/python bench/NAME.py``, which puts this folder on the path,
so they ``from _common import ...``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from servesize.workspace import Store

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
EXAMPLES = ROOT / "examples"


def uptime() -> str:
    """``uptime``'s line: the load averages to record with every figure."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def machine() -> str:
    """``Machine: <platform>, <n> CPUs, Python <version>`` (callers add the load)."""
    return (
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def run_heading() -> str:
    """The heading of one run's section in a RESULTS file."""
    return f"\n## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"


def append_results(path: Path, text: str, header: str) -> None:
    """Append ``text`` to ``path``, starting a new file with ``header``."""
    if not path.exists():
        path.write_text(header, encoding="utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


def append_json_run(path: Path, script: str, load: str, figures: Any, header: str) -> str:
    """Append one run's section to a RESULTS file (a new one starts with ``header``):
    heading, the command as run (this process's arguments), machine and CPU model,
    ``uptime`` before, the figures as JSON. Returns the text."""
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    command = f".venv/bin/python bench/{script} {args}"
    text = (
        run_heading()
        + f"\nCommand: `{command}`\n\n{machine()}; CPU {cpu_model()}\n\n"
        + f"`uptime` before: {load}\n\n```json\n{json.dumps(figures, indent=2)}\n```\n"
    )
    append_results(path, text, header)
    return text


def busy(load: str) -> str:
    """What the 1-minute load average says of the machine (2 cores: above 1, shared)."""
    try:
        one = float(load.split("load average:")[1].split(",")[0])
    except (IndexError, ValueError):
        return "load unknown"
    return "the machine was shared with other jobs" if one > 1.0 else "nothing else ran"


def append_table(
    path: Path,
    title: str,
    load: str,
    command: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> str:
    """Append one titled table (right-aligned columns) with the load and the command
    to ``path``, and return it."""
    lines = [
        f"\n## {title}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"`uptime` before: {load} ({busy(load)}).\n",
        f"Command: {command}\n",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return text


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) binomial interval of k successes in n, from the beta
    distribution's quantiles (exact at any n, unlike summing the binomial's terms)."""
    from scipy.stats import beta  # scikit-learn's dependency, in every venv here

    alpha = 1.0 - level
    low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def cpu_model() -> str:
    """The processor's name as the profiles record it (``machine.cpuModel``)."""
    from servesize.profiling._service import cpu_model as recorded

    return recorded() or "CPU model unknown"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def servesize(
    workspace: Path, *args: str, cwd: Path | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """The CLI (this interpreter's servesize) on ``workspace``, output captured."""
    cmd = [sys.executable, "-m", "servesize", *args, "--workspace", str(workspace)]
    return subprocess.run(cmd, capture_output=True, text=True, check=check, cwd=cwd)


def serve_example_command(port: int) -> list[str]:
    """``servesize serve`` of the bundled example on ``port`` (a workspace of its own)."""
    return [
        sys.executable, "-m", "servesize", "serve", "--entry-script", str(EXAMPLES / "score.py"),
        "--model-dir", str(EXAMPLES / "model"), "--source-directory", str(EXAMPLES),
        "--port", str(port), "--workspace", str(Path(tempfile.mkdtemp()) / "ws"),
    ]  # fmt: skip


def wait_answering(port: int, seconds: float = 120.0) -> None:
    """Until the server we started on ``port`` answers ``GET /`` (polling it, not a
    sleep-sync); raises the last error after ``seconds``."""
    import http.client

    deadline = time.monotonic() + seconds
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            conn.close()


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (by /proc's parent ids)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    out, frontier = [root], [root]
    while frontier:
        frontier = [p for p, parent in parents.items() if parent in frontier]
        out += frontier
    return out


def cpu_seconds(pids: Sequence[int]) -> float:
    """User and system CPU seconds of ``pids`` (those still there), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def example_model() -> Path:
    """The bundled example's model, trained first if it is not there yet."""
    model = EXAMPLES / "model" / "model.joblib"
    if not model.exists():
        subprocess.run([sys.executable, str(EXAMPLES / "train.py")], check=True)
    return model


@dataclass
class ExampleProfile:
    """One ``servesize model profile`` of the bundled example in a fresh workspace."""

    proc: subprocess.CompletedProcess[str]
    details: dict[str, Any]  # empty when it wrote none
    seconds: float  # wall time of the profile command
    load_before: float  # 1-minute load average when it started


def profile_example(
    model: Path, name: str, extra: Sequence[str], script: Path | None = None
) -> ExampleProfile:
    """Register the example model and requests, then profile them as ``name`` (with the
    example's inference config, or ``script`` as the entry script: a ground truth)."""
    entry = ["--ic", str(EXAMPLES / "inference-config.json")]
    if script is not None:
        entry = ["--entry-script", str(script), "--source-directory", str(script.parent)]
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        servesize(ws, "model", "register", "--name", "diabetes-forest", "--path", str(model))
        servesize(
            ws, "dataset", "register", "--name", "requests",
            "--file", str(EXAMPLES / "sample-requests.txt"),
        )  # fmt: skip
        out = Path(tmp) / "details.json"
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        proc = servesize(
            ws, "model", "profile", "-n", name, "-m", "diabetes-forest", "--idi", "requests",
            *entry, "-t", str(out), "--json", *extra,
        )  # fmt: skip
        seconds = time.monotonic() - started
        details = json.loads(out.read_text()) if out.exists() else {}
        return ExampleProfile(proc, details, seconds, load_before)


@contextlib.contextmanager
def script_store() -> Iterator[Store]:
    """A scratch workspace with a placeholder model ``m`` and 20 rows ``rows``: what
    the ground-truth scripts (tests/profiling/scripts) are profiled with."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "ws")
        (Path(tmp) / "m.bin").write_bytes(b"m")
        store.models.register("m", Path(tmp) / "m.bin")
        store.datasets.register("rows", [json.dumps({"data": [[i]]}) for i in range(20)])
        yield store


@contextlib.contextmanager
def one_replica(store: Store, replica: Any) -> Iterator[Any]:
    """One replica of profile ``bench`` under ``replica``'s planned limits (a
    :class:`servesize.planning.replica.Replica`), this thread on the generator's CPUs."""
    from servesize.profiling.replicas import launch_replicas

    with (
        launch_replicas(
            store, "bench", count=1, cpu=replica.cores, memory_gb=replica.memory_gb,
            workers=replica.workers, threads=replica.threads,
        ) as running,
        running.generator(),
    ):  # fmt: skip
        yield running
