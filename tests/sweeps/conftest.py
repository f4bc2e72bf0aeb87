"""Sweep fixtures: a workspace with a model and a dataset, sweep files, and a local Ray
head inside a network namespace the test creates.

Ray binds the machine's non-loopback address even when told 127.0.0.1, so the head,
its workers and the driver all run in a fresh network namespace holding only ``lo``.
They enter it with ``nsenter --net`` rather than ``ip netns exec``: the latter also
remounts ``/sys``, which hides the cgroup hierarchies and so the trials' limits.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import yaml

from servesize.workspace import Store

SCRIPTS = Path(__file__).parents[1] / "profiling" / "scripts"
BIN = Path(sys.executable).parent

#: Tiny settings: a trial takes a few seconds (the figures are not the point here).
FAST = {
    "qps": 20,
    "duration": 2,
    "min_queries": 40,
    "capacity_step_seconds": 1,
    "stable_windows": 2,
    "max_concurrency": 1,
    "confirm_duration": 2,
    "sizing": False,  # a trial is a profile; its search is tested in tests/profiling
    "memory_in_gb": 0.5,
    "cpu": 0.5,
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    store = Store.open(ws)
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"weights")
    store.models.register("m", weights)
    store.datasets.register("rows", [json.dumps({"data": [[i]]}) for i in range(10)])
    return ws


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """The trials' entry scripts, in a folder of their own (it travels to the nodes)."""
    folder = tmp_path / "src"
    folder.mkdir()
    for script in ("burn.py", "trivial.py", "failing_init.py"):
        shutil.copy(SCRIPTS / script, folder / script)
    return folder


def write_sweep(path: Path, trials: list[dict[str, object]], **defaults: object) -> Path:
    path.write_text(
        yaml.safe_dump({"defaults": {"model": "m", "dataset": "rows", **FAST, **defaults},
                        "trials": trials}),
        encoding="utf-8",
    )  # fmt: skip
    return path


def cli(*args: str) -> list[str]:
    return [str(BIN / "servesize"), *args]


@dataclass
class RayHead:
    namespace: str
    address: str
    client_address: str = "ray://127.0.0.1:10001"
    #: the ``ray start`` process: Ray's daemons and workers are its descendants
    pid: int = 0

    def enter(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the head's network namespace."""
        return ["nsenter", f"--net=/run/netns/{self.namespace}", *argv]


def _netns_usable() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    """A Ray head of its own, in a network namespace of its own, stopped afterwards.

    It declares 4 CPUs on this 2-core machine on purpose: Ray's bookkeeping would then
    run two 2-core trials at once, so only servesize's core allocator keeps them apart.
    """
    if importlib.util.find_spec("ray") is None:  # not imported here: Ray runs in the namespace
        pytest.skip("ray is not installed (pip install 'servesize[ray]')")
    reason = _netns_usable()
    if reason:
        pytest.skip(reason)
    name = f"servesize-{os.getpid()}-{secrets.token_hex(3)}"
    # short: Ray's unix sockets live below it and their paths are limited to 107 bytes
    temp = Path(tempfile.mkdtemp(prefix="ssray", dir="/tmp"))
    subprocess.run(["ip", "netns", "add", name], check=True)
    head: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        log = temp / "head.log"
        with log.open("wb") as out:
            head = subprocess.Popen(
                RayHead(name, "").enter(
                    [str(BIN / "ray"), "start", "--head", "--block", "--port=6379",
                     "--ray-client-server-port=10001", "--num-cpus=4",
                     "--object-store-memory=100000000",
                     "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"]
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while b"Ray runtime started" not in log.read_bytes():
            assert head.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the Ray head did not start in 90 s"
            time.sleep(0.2)
        yield RayHead(name, "127.0.0.1:6379", pid=head.pid)
    finally:
        if head is not None:
            _stop_session(head)
        subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(temp, ignore_errors=True)


def _stop_session(head: subprocess.Popen[bytes]) -> None:
    """Stop the head and every process of its session (all of them ours)."""
    session = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) == head.pid:
                session.append(proc)
        except (OSError, psutil.Error):
            continue
    for proc in session:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(session, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    head.wait(timeout=10)
