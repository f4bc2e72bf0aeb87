"""Any model server (``--server-cmd``) and a running one (``--url``), profiled for real:
FastAPI under uvicorn, a plain-stdlib server, gunicorn with two workers; and every way a
server can be wrong, each ending in one clear line or a Failed profile, nothing left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servesize import ServerConfig
from servesize.errors import InvalidInputError, NotFoundError, ServiceError
from servesize.profiling.limits import detect
from servesize.sdk import ModelProfile, profile
from servesize.workspace import Store

from .quick import ONE_CAPACITY_STEP

APPS = Path(__file__).parent / "servers"
PY = sys.executable
FAST: dict[str, Any] = {
    **ONE_CAPACITY_STEP,
    "min_duration": 3.0,
    "min_queries": 30,
    "confirm_duration": 2.0,
    "sizing": False,  # tested in test_sizing_runs.py
    "request_timeout": 2.0,
    "startup_timeout": 60.0,
}

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftovers")]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "ws")
    store.datasets.register("rows", [json.dumps({"data": [[i, i + 1]]}) for i in range(20)])
    return store


def _profile(store: Store, name: str, config: ServerConfig, **settings: Any) -> ModelProfile:
    env = {"BURN_MS": "10", **settings.pop("extra_env", {})}
    cpu = settings.pop("cpu", None)
    result = profile(
        store, name, [], config, "rows", cpu=cpu, extra_env=env, **{**FAST, **settings}
    )
    result.wait_for_completion(timeout=240)
    return result


def _cgroups() -> bool:
    support = detect()
    return support.available and {"cpu", "memory"} <= set(support.controllers)


@pytest.mark.untimed
def test_fastapi_under_uvicorn_is_profiled_in_its_cgroup(store: Store) -> None:
    config = ServerConfig(
        command=f"{PY} -m uvicorn fastapi_app:app --host 127.0.0.1 --port {{port}}",
        score_path="/predict",
        health_path="/health",
        cwd=APPS,
    )
    result = _profile(store, "fastapi", config, cpu=1.0, qps=20.0, arrival="constant")
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["successRate"] == 1.0
    assert details["server"]["command"].endswith("--port {port}")
    assert details["server"]["scorePath"] == "/predict"
    # 10 ms of CPU a request plus what FastAPI and uvicorn cost around it
    assert 0.008 < details["cpuSecondsPerQuery"] < 0.05
    assert details["coldStartSeconds"] > 0
    assert details["recommendedCpu"] >= 0.1
    if _cgroups():
        assert details["limitsEnforced"] is True
        assert "cpu quota 1 cores" in details["limitsNote"]
        assert details["confirmation"]["held"] in (True, False)


@pytest.mark.untimed
def test_plain_stdlib_server_waits_for_its_port_and_gets_port_in_env(store: Store) -> None:
    # no health path: ready once the port accepts; the port comes from $PORT via a
    # wrapper that proves the variable is set (shlex, no shell: sh -c is the user's choice)
    config = ServerConfig(
        command=["sh", "-c", f'exec {PY} stdlib_server.py "$PORT"'],
        score_path="/predict",
        cwd=APPS,
    )
    result = _profile(store, "stdlib", config, qps=20.0, arrival="constant")
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["totalQueries"] >= 30
    assert details["server"]["healthPath"] is None
    assert details["cpuSecondsPerQuery"] == pytest.approx(0.010, abs=0.006)


@pytest.mark.untimed
def test_gunicorn_with_two_workers_is_measured_as_a_whole_tree(store: Store) -> None:
    # psutil over the process tree (no cgroup): CPU burnt in the workers must count
    # gthread workers: a sync worker blocks on one connection, and the load generator
    # keeps spare idle connections open, which would pin both workers (docs/servers.md)
    config = ServerConfig(
        command=f"{PY} -m gunicorn -w 2 -k gthread --threads 4 -b 127.0.0.1:{{port}} wsgi_app:app",
        score_path="/predict",
        health_path="/health",
        cwd=APPS,
    )
    result = _profile(
        store,
        "gunicorn",
        config,
        qps=10.0,  # 0.2 cores: a shared machine must not turn it into timeouts
        arrival="constant",
        cgroups=False,
        request_timeout=10.0,  # a slow moment of a shared machine is not a failure
        extra_env={"BURN_MS": "20"},
    )
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["successRate"] == 1.0  # a timed-out request costs CPU but is no success
    log = result.log_path.read_text()
    assert log.count("Booting worker with pid") == 2
    # the master does no scoring: with only it measured this would be ~0
    assert details["cpuSecondsPerQuery"] == pytest.approx(0.020, rel=0.35)
    assert details["limitsEnforced"] is False


# -- bad input ---------------------------------------------------------------------------


def _failed(result: ModelProfile) -> str:
    assert result.state == "Failed"
    return str(result.get_details()["error"]["message"])


@pytest.mark.untimed
def test_a_command_that_exits_at_once_fails_with_its_code(store: Store) -> None:
    config = ServerConfig(command=[PY, "-c", "import sys; print('boom'); sys.exit(3)"])
    message = _failed(_profile(store, "exits", config))
    assert message.startswith("service exited with code 3 before it became ready")
    assert "boom" in message  # the log's tail


@pytest.mark.untimed
def test_a_command_that_never_opens_its_port_times_out(store: Store) -> None:
    config = ServerConfig(command=[PY, "-c", "import time; time.sleep(600)"])
    message = _failed(_profile(store, "silent", config, startup_timeout=2.0))
    assert message.startswith("service did not open its port for http://127.0.0.1:")
    assert "within the 2 s startup timeout (the command has no {port}: does the server " in message
    assert "listen on $PORT?)\nlast lines of" in message


@pytest.mark.untimed
def test_a_server_that_is_never_healthy_times_out(store: Store) -> None:
    config = ServerConfig(
        command=[PY, "stdlib_server.py", "{port}"],
        score_path="/predict",
        health_path="/health",
        cwd=APPS,
    )
    result = _profile(
        store, "unhealthy", config, startup_timeout=2.0, extra_env={"MODE": "unhealthy"}
    )
    assert "did not answer 200 to GET http://127.0.0.1:" in _failed(result)


@pytest.mark.untimed
def test_a_wrong_score_path_fails_on_the_404s(store: Store) -> None:
    # {python}: the profile's interpreter (servesize's own here: no environment given)
    config = ServerConfig(command="{python} stdlib_server.py {port}", score_path="/score", cwd=APPS)
    message = _failed(_profile(store, "wrong-path", config))
    assert message == (
        "every request to POST /score got HTTP 404: is the score path (--score-path) "
        "or the method (--method) right?"
    )


def test_a_missing_program_is_refused_before_anything_starts(store: Store) -> None:
    with pytest.raises(NotFoundError, match="server command not found: no-such-server-x"):
        profile(store, "missing", [], ServerConfig(command="no-such-server-x {port}"), "rows")
    with pytest.raises(InvalidInputError, match="cannot split the server command"):
        ServerConfig(command="serve 'unclosed")
    with pytest.raises(InvalidInputError, match="exactly one of command= and url="):
        ServerConfig()


def test_a_url_nobody_listens_on_is_one_line(store: Store, closed_port: int) -> None:
    config = ServerConfig(url=f"http://127.0.0.1:{closed_port}/score")
    with pytest.raises(ServiceError) as info:
        profile(store, "nobody", [], config, "rows")
    assert str(info.value) == (
        f"nothing listens at http://127.0.0.1:{closed_port}/score (connection refused or timed out)"
    )


def test_a_remote_url_needs_to_be_named(store: Store) -> None:
    with pytest.raises(InvalidInputError, match=r"not this machine.*--allow-remote"):
        ServerConfig(url="http://192.0.2.1:8000/score")
    with pytest.raises(InvalidInputError, match="must be http://HOST:PORT/PATH"):
        ServerConfig(url="ftp://127.0.0.1/x")


@pytest.fixture
def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- a running service (--url) -----------------------------------------------------------


@pytest.fixture
def running_server(closed_port: int) -> Iterator[tuple[str, int]]:
    """A stdlib server the test starts itself, as a user's already-running service."""
    proc = subprocess.Popen(
        [PY, str(APPS / "stdlib_server.py"), str(closed_port)],
        cwd=APPS,
        env={**os.environ, "BURN_MS": "10"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "listening"  # it prints once bound
        yield f"http://127.0.0.1:{closed_port}/predict", proc.pid
        assert proc.poll() is None, "servesize must leave a service it did not start running"
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.timing
def test_a_running_service_without_pid_gives_latency_and_says_what_it_did_not_measure(
    store: Store, running_server: tuple[str, int], tmp_path: Path
) -> None:
    url, _ = running_server
    result = _profile(store, "url", ServerConfig(url=url), qps=20.0, arrival="constant")
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["successRate"] == 1.0
    assert details["latencyPercentile90InMs"] > 5  # 10 ms of CPU each
    assert details["measuredQueriesPerSecond"] == pytest.approx(20.0, rel=0.2)
    for key in ("recommendedCpu", "recommendedMemoryInGB", "cpuSecondsPerQuery",
                "maxUtilizedCpu", "requestedCpu", "coldStartSeconds",
                "recommendationLatencyInMs"):  # fmt: skip
        assert key not in details
        assert key in details["notMeasured"]
    assert "no --pid" in details["notMeasured"]["recommendedCpu"]
    assert details["limitsEnforced"] is False
    assert details["server"]["kind"] == "url"
    report = result.report(tmp_path / "report.md", format="md").read_text()
    assert "Not measured" in report
    assert "no --pid named the server's process" in report


@pytest.mark.untimed
def test_a_running_service_with_its_pid_is_sampled(
    store: Store, running_server: tuple[str, int]
) -> None:
    url, pid = running_server
    config = ServerConfig(url=url, pid=pid)
    result = _profile(store, "url-pid", config, qps=20.0, arrival="constant")
    details = result.get_details()
    assert result.state == "Succeeded", details.get("error")
    assert details["cpuSecondsPerQuery"] == pytest.approx(0.010, abs=0.006)
    assert details["recommendedCpu"] >= 0.1
    assert "requestedCpu" not in details  # servesize set no limit on it
    assert "recommendedCpu" not in details["notMeasured"]
    assert "set no limits" in details["confirmation"]["skipped"]
