"""servesize-only behaviour: HTTP limits, keep-alive, start-up errors, workers, signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from .serving_helpers import SCRIPTS, Server, run_to_exit, start_servesize


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_servesize(
        SCRIPTS / "plain.py", tmp_path_factory.mktemp("plain"), args=["--max-body-bytes", "1000"]
    )
    try:
        yield server
    finally:
        server.stop()


def _raw(server: Server, data: bytes, *, half_close: bool = False) -> bytes:
    """Send raw bytes; read until the server closes or 2 s pass without data."""
    with socket.create_connection((server.host, server.port), timeout=2) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def _still_serves(server: Server) -> None:
    reply = server.request("POST", "/score", b"still")
    assert reply.status == 200
    assert json.loads(reply.body)["echo"] == "still"


def test_keep_alive_and_pipelining(plain: Server) -> None:
    request = b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
    answer = _raw(plain, request * 3 + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 OK") == 4
    assert answer.count(b'"echo": "hi"') == 3
    assert answer.endswith(b"Healthy")


def test_chunked_body(plain: Server) -> None:
    request = (
        b"POST /score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert b'"echo": "abcde"' in _raw(plain, request)


@pytest.mark.parametrize(
    "headers",
    [{"Content-Length": "5000"}, {"Transfer-Encoding": "chunked"}],
    ids=["declared", "chunked"],
)
def test_body_over_limit_gets_413(plain: Server, headers: dict[str, str]) -> None:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    body = (
        b"x" * 5000 if "Content-Length" in headers else b"1388\r\n" + b"x" * 5000 + b"\r\n0\r\n\r\n"
    )
    answer = _raw(
        plain, f"POST /score HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode() + body, half_close=True
    )
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'{"message": "Request body exceeds the limit of 1000 bytes."}' in answer
    _still_serves(plain)


def test_headers_over_limit_get_431(plain: Server) -> None:
    big = "a" * 70_000
    answer = _raw(
        plain, f"GET / HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n".encode(), half_close=True
    )
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"Request headers exceed the limit" in answer
    _still_serves(plain)


@pytest.mark.parametrize(
    "garbage",
    [b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", b"\x00\xff\r\n\r\n"],
    ids=["not-http", "bad-header", "binary"],
)
def test_malformed_http_gets_400_and_server_survives(plain: Server, garbage: bytes) -> None:
    answer = _raw(plain, garbage, half_close=True)
    assert answer.startswith(b"HTTP/1.1 400 ")
    _still_serves(plain)


def test_upgrade_is_not_offered(plain: Server) -> None:
    upgrade = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    answer = _raw(plain, upgrade + b"garbage after the upgrade", half_close=True)
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert answer.endswith(b"Healthy")
    _still_serves(plain)


def test_abrupt_disconnect_mid_body(plain: Server) -> None:
    with socket.create_connection((plain.host, plain.port)) as sock:
        sock.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
    _still_serves(plain)


def test_http10_and_expect_continue(plain: Server) -> None:
    answer = _raw(plain, b"POST /score HTTP/1.0\r\nContent-Length: 2\r\n\r\nok")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b"Connection: close" in answer
    answer = _raw(
        plain,
        b"POST /score HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\nok",
    )
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")


def _error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("missing_run.py", "does not define a run() function"),
        ("varargs_run.py", "run() cannot accept positional-only arguments, *args, or **kwargs"),
        ("schema_rawhttp.py", "cannot be decorated with both @rawhttp and @input_schema"),
        ("no_such_script.py", "entry script not found"),
        ("SYNTAX", "syntax error in entry script"),
    ],
)
def test_entry_script_problems_give_one_line(tmp_path: Path, script: str, expected: str) -> None:
    path = SCRIPTS / script
    if script == "SYNTAX":
        path = tmp_path / "broken.py"
        path.write_text("def init(:\n    pass\n")
    argv = [sys.executable, "-m", "servesize.serving", "--entry-script", str(path), "--port", "0"]
    code, _, stderr = run_to_exit(argv, tmp_path)
    assert code == 5
    assert expected in _error_line(stderr)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_init_failure_exits_3_with_traceback_and_model_dir(tmp_path: Path, workers: str) -> None:
    model_dir = tmp_path / "models"
    (model_dir / "iris" / "1").mkdir(parents=True)
    (model_dir / "iris" / "1" / "model.joblib").write_bytes(b"x")
    argv = [
        sys.executable,
        "-m",
        "servesize.serving",
        "--entry-script",
        str(SCRIPTS / "init_fail.py"),
        "--port",
        "0",
        "--model-dir",
        str(model_dir),
        "--workers",
        workers,
    ]
    code, _, stderr = run_to_exit(argv, tmp_path)
    assert code == 3
    assert "RuntimeError: model file is corrupt" in stderr  # the logged traceback
    assert "Model Directory Contents" in stderr
    assert "model.joblib" in stderr
    assert "init() failed: RuntimeError: model file is corrupt" in _error_line_allow_tb(stderr)


def _error_line_allow_tb(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if line.startswith("error: "))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workers", "signum"), [(1, signal.SIGTERM), (2, signal.SIGTERM), (2, signal.SIGINT)]
)
def test_signal_stops_every_worker_cleanly(tmp_path: Path, workers: int, signum: int) -> None:
    (tmp_path / "m").mkdir()
    server = start_servesize(
        SCRIPTS / "model_dir.py",
        tmp_path,
        args=["--workers", str(workers), "--model-dir", str(tmp_path / "m")],
    )
    try:
        tree = [
            psutil.Process(server.proc.pid),
            *psutil.Process(server.proc.pid).children(recursive=True),
        ]
        assert len(tree) == workers + (1 if workers > 1 else 0)
        pids = {json.loads(server.request("POST", "/score", b"x").body)["pid"] for _ in range(20)}
        assert pids <= {p.pid for p in tree}
        server.proc.send_signal(signum)
        assert server.proc.wait(timeout=20) == 0
        _gone, alive = psutil.wait_procs(tree, timeout=10)
        assert alive == []
    finally:
        server.stop()


@pytest.mark.slow
def test_dead_worker_stops_the_service(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    server = start_servesize(
        SCRIPTS / "model_dir.py",
        tmp_path,
        args=["--workers", "2", "--model-dir", str(tmp_path / "m")],
    )
    try:
        children = psutil.Process(server.proc.pid).children()
        children[0].kill()
        assert server.proc.wait(timeout=20) == 6
        _gone, alive = psutil.wait_procs(children, timeout=10)
        assert alive == []
        assert "died unexpectedly" in server.log_text()
    finally:
        server.stop()


def test_azure_imports_work_without_azure(tmp_path: Path) -> None:
    code = (
        "import importlib.util, sys\n"
        "assert importlib.util.find_spec('azureml') is None, 'azureml must not be installed here'\n"
        "from servesize.serving import _shims\n"
        "_shims.install()\n"
        "from azureml.contrib.services.aml_request import AMLRequest, rawhttp\n"
        "from azureml.contrib.services.aml_response import AMLResponse\n"
        "from azureml_inference_server_http.api.aml_request import rawhttp as r2\n"
        "from azureml_inference_server_http.api.aml_response import AMLResponse as R2\n"
        "import servesize.serving as s\n"
        "assert AMLResponse is R2 is s.AMLResponse and rawhttp is r2 is s.rawhttp\n"
        "r = AMLResponse('a', 200, {'X-M': 'a, b'})\n"
        "print(r.headers.getlist('X-M'), r.status_code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['a', 'b'] 200"


@pytest.mark.slow
def test_cli_serve_materialises_registered_models(tmp_path: Path) -> None:
    pytest.importorskip("servesize.workspace")
    from servesize.workspace import Store

    model_file = tmp_path / "model.joblib"
    model_file.write_bytes(b"weights")
    workspace = tmp_path / "ws"
    with Store.open(workspace) as store:
        model_id = store.models.register("iris", model_file).id
    cli = Path(sys.executable).parent / "servesize"
    argv = [
        str(cli),
        "serve",
        "--entry-script",
        str(SCRIPTS / "model_dir.py"),
        "--port",
        "0",
        "-m",
        model_id,
        "--workspace",
        str(workspace),
    ]
    from .serving_helpers import _spawn, _wait_healthy

    proc, log = _spawn(argv, tmp_path / "run", {})
    server = Server(proc, log)
    try:
        deadline = time.monotonic() + 30
        while "Listening at" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)  # waiting for the port line, bounded by the deadline
        server.port = int(log.read_text().split("Listening at http://127.0.0.1:")[1].split()[0])
        _wait_healthy(server, deadline)
        answer = json.loads(server.request("POST", "/score", b"x").body)
        assert answer["files"] == ["model.joblib"]
    finally:
        server.stop()
    # the host removed the temporary model folder the CLI handed over to it
    assert not Path(answer["root"]).exists()
    assert os.path.exists(tmp_path / "run")
