"""Builds that cannot succeed, are interrupted, or race: one line, nothing half-made."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from servesize.environments import BuildSpec, EnvironmentCache
from servesize.environments._uv import run_uv

from .env_helpers import SERVESIZE, SIX, built_keys, leftovers

pytestmark = [pytest.mark.slow, pytest.mark.network]

Cli = Callable[..., subprocess.CompletedProcess[str]]
#: a cold cache (the workspace's own) and an index that refuses connections at once
OFFLINE = {
    "SERVESIZE_UV_CACHE_DIR": "",
    "UV_INDEX_URL": "http://127.0.0.1:9/",
    "UV_HTTP_RETRIES": "0",
}


def _until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _one_line_error(done: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    err = done.stderr.strip()
    assert err.startswith("error: "), err
    assert "\n" not in err, err
    assert text in err, err


@pytest.mark.parametrize(
    ("lines", "code", "text"),
    [
        (["servesize-no-such-package-zzq==1.0"], 11, "servesize-no-such-package-zzq was not found"),
        (["six==99.0"], 11, "there is no version of six==99.0"),
    ],
    ids=["no-such-package", "no-such-version"],
)
def test_unresolvable_requirements(
    cli: Cli,
    requirements: Callable[..., Path],
    workspace: Path,
    lines: list[str],
    code: int,
    text: str,
) -> None:
    cli("environment", "register", "-n", "e", "--pip-requirements", str(requirements(*lines)))
    _one_line_error(cli("environment", "build", "e"), code, text)
    assert built_keys(workspace) == []
    assert leftovers(workspace) == []


def _conda(tmp_path: Path, *deps: str) -> Path:
    path = tmp_path / "env.yml"
    path.write_text(
        "dependencies:\n" + "".join(f"  - {d}\n" for d in deps) + "  - pip:\n    - six\n"
    )
    return path


def test_conda_only_package(cli: Cli, tmp_path: Path, workspace: Path) -> None:
    conda = _conda(tmp_path, "python=3.11", "libgfortran=14")
    cli("environment", "register", "-n", "e", "--conda-file", str(conda))
    _one_line_error(cli("environment", "build", "e"), 2, "libgfortran=14; move them to the pip:")
    assert built_keys(workspace) == []
    assert leftovers(workspace) == []


def test_python_version_not_on_this_machine(cli: Cli, tmp_path: Path, workspace: Path) -> None:
    cli("environment", "register", "-n", "e", "--conda-file", str(_conda(tmp_path, "python=3.99")))
    done = cli("environment", "build", "e")
    _one_line_error(done, 11, "no Python 3.99 on this machine")
    assert "available: " in done.stderr
    assert platform.python_version() in done.stderr
    assert built_keys(workspace) == []
    assert leftovers(workspace) == []


def test_no_network_with_a_cold_cache(
    cli: Cli, requirements: Callable[..., Path], workspace: Path
) -> None:
    cli("environment", "register", "-n", "e", "--pip-requirements", str(requirements(SIX)))
    _one_line_error(
        cli("environment", "build", "e", env=OFFLINE), 11, "package index cannot be reached"
    )
    assert built_keys(workspace) == []
    assert leftovers(workspace) == []


def test_no_network_with_a_warm_cache_builds_offline(
    cli: Cli, requirements: Callable[..., Path], workspace: Path
) -> None:
    cli("environment", "register", "-n", "e", "--pip-requirements", str(requirements(SIX)))
    cold = {"SERVESIZE_UV_CACHE_DIR": ""}  # the workspace's own cache, warmed here
    first = json.loads(cli("environment", "build", "e", "--json", env=cold).stdout)
    assert json.loads(cli("environment", "prune", "--all", "--json").stdout)["removed"]
    # the default index, unreachable: the cache alone builds it again
    offline = {**cold, "HTTPS_PROXY": "http://127.0.0.1:9", "UV_HTTP_RETRIES": "0"}
    again = cli("environment", "build", "e", "--json", env=offline)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["packages"] == first["packages"]


@pytest.fixture
def silent_index() -> Iterator[str]:
    """A loopback index that accepts connections and never answers: a build waits."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"


# Starts the command as a launcher may leave it: SIGINT ignored (a background job of a
# non-interactive shell; Python then keeps it ignored) and blocked (the mask of a thread
# that masked it, as multiprocessing's and Ray's launchers do). Exec keeps the pid.
_LAUNCHER = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def _start_build(workspace: Path, index: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SERVESIZE_WORKSPACE": str(workspace), "UV_INDEX_URL": index}
    env["SERVESIZE_UV_CACHE_DIR"] = ""
    return subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(SERVESIZE), "environment", "build", "e"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _uv_processes(workspace: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(str(workspace) in part for part in proc.info["cmdline"] or ()):
            found.append(proc)
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_build_leaves_no_environment(
    cli: Cli, requirements: Callable[..., Path], workspace: Path, silent_index: str, sig: int
) -> None:
    cli("environment", "register", "-n", "e", "--pip-requirements", str(requirements(SIX)))
    build = _start_build(workspace, silent_index)
    try:
        _until(
            lambda: bool(list((workspace / "envs").glob(".tmp-*/requirements.txt"))), "the build"
        )
        build.send_signal(sig)
        build.wait(timeout=30)
    finally:
        build.kill()
        _out, err = build.communicate()
    _until(lambda: not _uv_processes(workspace), "uv to end with the build")
    assert built_keys(workspace) == []
    if sig == signal.SIGINT:
        assert build.returncode == 130, err
        assert leftovers(workspace) == []
    listed = json.loads(cli("environment", "list", "--json").stdout)
    assert listed[0]["built"] is False
    # what a killed build left is hidden, and the next build (or prune) removes it
    assert cli("environment", "build", "e").returncode == 0
    assert len(built_keys(workspace)) == 1
    assert leftovers(workspace) == []


def test_ctrl_c_between_two_polls_of_uv_stops_uv(silent_index: str, tmp_path: Path) -> None:
    # run_uv polls uv every 0.2 s; a Ctrl-C that lands in the bookkeeping between two
    # polls (here: raised by the cancellation check) must stop uv as one inside the
    # poll does, and not leave it to the death of this process
    def interrupted() -> bool:
        raise KeyboardInterrupt

    args = ["pip", "install", "--no-config", "--python", sys.executable]
    args += ["--target", str(tmp_path / "target"), "six"]
    env = {"UV_INDEX_URL": silent_index, "UV_CACHE_DIR": str(tmp_path / "cache")}
    with pytest.raises(KeyboardInterrupt):
        run_uv(args, extra_env=env, cancelled=interrupted)
    _until(lambda: not _uv_processes(tmp_path), "uv to be stopped", timeout=10)


def _lock_waiters(lock: Path) -> int:
    inode = lock.stat().st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and f":{inode} " in line)


def test_two_processes_build_the_same_specification_once(
    cli: Cli, requirements: Callable[..., Path], workspace: Path
) -> None:
    cli("environment", "register", "-n", "e", "--pip-requirements", str(requirements(SIX)))
    cache = EnvironmentCache(workspace / "envs")
    key, _python, _version = cache.key(BuildSpec("e", 1, (SIX,)))
    lock = workspace / "envs" / ".locks" / f"{key}.lock"
    lock.parent.mkdir(parents=True)
    env = {**os.environ, "SERVESIZE_WORKSPACE": str(workspace)}
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # both builds start while a third holds the key
        builds = [
            subprocess.Popen(
                [str(SERVESIZE), "environment", "build", "e", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            _until(lambda: _lock_waiters(lock) == 2, "both builds to wait for the lock")
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
        outputs = [b.communicate(timeout=120) for b in builds]
    results = [json.loads(out) for out, _err in outputs]
    assert sorted(r["cached"] for r in results) == [False, True]  # one built, one reused
    assert results[0]["path"] == results[1]["path"]
    assert built_keys(workspace) == [key]
    assert leftovers(workspace) == []
