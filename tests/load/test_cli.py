"""``servesize loadtest`` as a real subprocess: output, JSON, exit codes of mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import Server


def loadtest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "servesize", "loadtest", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


@pytest.fixture
def bodies(tmp_path: Path) -> Path:
    path = tmp_path / "bodies.txt"
    path.write_text('{"a": 1}\n\n{"b": 2}\n   \n{"c": 3}\n')
    return path


def test_rate_run_prints_a_table_and_writes_json(
    server: Server, bodies: Path, tmp_path: Path
) -> None:
    key = uuid.uuid4().hex
    out = tmp_path / "result.json"
    proc = loadtest(
        server.url(f"/fast?key={key}"),
        *("--file", str(bodies), "--rate", "200", "--arrival", "constant"),
        *("--duration", "1s", "--warmup", "200ms", "--header", "X-Test: yes"),
        *("--json-out", str(out)),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "latency p99" in proc.stdout
    assert "Traceback" not in proc.stderr
    data = json.loads(out.read_text())
    assert data["totalQueries"] == 200
    assert data["warmup"]["totalQueries"] == 40
    assert data["requestedQueriesPerSecond"] == 200
    assert data["windows"][0]["t"] == 0
    assert sum(row["count"] for row in data["latencyHistogram"]) == 200
    assert server.count(key) == 240


def replay(
    url: str, bodies: Path, trace: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``loadtest URL --schedule TRACE`` from the trace's folder: its output and JSON."""
    out = trace.parent / "result.json"
    proc = loadtest(
        url, "--file", str(bodies), "--schedule", str(trace), *extra, "--json-out", str(out),
        cwd=trace.parent,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads(out.read_text())


def test_schedule_replays_a_trace_and_prints_its_summary(
    server: Server, bodies: Path, tmp_path: Path
) -> None:
    key = uuid.uuid4().hex
    trace = tmp_path / "trace.csv"
    trace.write_text("when,tokens\n2023-11-16 18:00:00.0000000,5\n" + "".join(
        f"2023-11-16 18:00:0{i // 10}.{i % 10}000000,5\n" for i in range(1, 30)
    ))  # fmt: skip
    proc, data = replay(
        server.url(f"/fast?key={key}"), bodies, trace, "--traffic-column", "when",
        "--traffic-speed", "2",
    )  # fmt: skip
    assert "schedule, mean 20.7/s" in proc.stdout  # 30 requests in 2.9 s, twice as fast
    assert "trace trace.csv" in proc.stdout
    assert "inter-arrival CV" in proc.stdout
    assert "arrival times from column when" in proc.stderr
    assert data["totalQueries"] == server.count(key) == 30
    assert data["traffic"]["requests"] == 30
    assert data["traffic"]["durationSeconds"] == 1.45  # 2.9 s at twice the speed
    assert data["durationSeconds"] >= 1.45


def test_a_schedule_in_milliseconds_since_the_epoch_replays_in_seconds(
    server: Server, bodies: Path, tmp_path: Path
) -> None:
    key = uuid.uuid4().hex
    trace = tmp_path / "epoch.txt"
    trace.write_text("".join(f"{1_700_000_000_000 + 100 * i}\n" for i in range(10)))
    proc, data = replay(server.url(f"/fast?key={key}"), bodies, trace)
    assert "seconds (ms since the epoch)" in proc.stdout
    assert data["totalQueries"] == server.count(key) == 10
    assert (data["traffic"]["timeUnit"], data["traffic"]["durationSeconds"]) == ("ms", 0.9)


def test_a_schedule_in_whole_seconds_sends_a_seconds_requests_through_it(
    server: Server, bodies: Path, tmp_path: Path
) -> None:
    key = uuid.uuid4().hex
    trace = tmp_path / "seconds.txt"  # an access log's clock: 8 requests in each second
    trace.write_text("0\n" * 8 + "1\n" * 8)
    proc, data = replay(server.url(f"/fast?key={key}"), bodies, trace)
    assert "shared times spread within their 1 s" in proc.stdout
    assert data["totalQueries"] == server.count(key) == 16
    assert data["traffic"]["timeResolutionSeconds"] == 1.0
    assert 1.0 <= data["traffic"]["durationSeconds"] < 2.0  # the last is within its second
    assert data["traffic"]["peakQueriesPerSecond"]["1s"] < 16


def test_concurrency_run_with_min_queries(server: Server, bodies: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = loadtest(
        server.url("/fast"),
        *("--file", str(bodies), "--concurrency", "2", "--duration", "0"),
        *("--min-queries", "77", "--json-out", str(out)),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["totalQueries"] == 77
    assert data["requestedQueriesPerSecond"] is None


def test_dataset_rows_are_the_bodies(server: Server, tmp_path: Path) -> None:
    store_mod = pytest.importorskip("servesize.workspace")
    with store_mod.Store.open(tmp_path / "ws") as store:
        record = store.datasets.register("rows", ['{"x": 1}', '{"x": 2}'])
    out = tmp_path / "result.json"
    proc = loadtest(
        server.url("/fast"),
        *("--dataset", record.id, "--workspace", str(tmp_path / "ws")),
        *("--concurrency", "1", "--duration", "0", "--min-queries", "10"),
        *("--json-out", str(out)),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["successQueries"] == 10


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--file", "missing.txt", "--rate", "5"], 3, "no such file"),
        (["--file", "empty.txt", "--rate", "5"], 2, "holds no rows"),
        (["--file", "bodies.txt"], 2, "exactly one of --rate"),
        (["--file", "bodies.txt", "--rate", "5", "--concurrency", "2"], 2, "exactly one of --rate"),
        (["--rate", "5"], 2, "exactly one of --dataset and --file"),
        (["--file", "bodies.txt", "--rate", "5", "--duration", "soon"], 2, "bad duration"),
        (["--file", "bodies.txt", "--rate", "5", "--arrival", "burst"], 2, "--arrival"),
        (["--file", "bodies.txt", "--rate", "5", "--header", "novalue"], 2, "bad --header"),
        (["--file", "bodies.txt", "--rate", "5", "--schedule", "t.txt"], 2, "exactly one of"),
        (["--file", "bodies.txt", "--schedule", "t.txt", "--traffic-speed", "0"], 2, "speed"),
        (
            ["--file", "bodies.txt", "--schedule", "bodies.txt"],
            2,
            "bodies.txt: line 1: JSON is not read: write one arrival time a line",
        ),
        (["--file", "bodies.txt", "--rate", "5", "--traffic-speed", "2"], 2, "apply to"),
    ],
)
def test_mistakes_give_one_line_errors(
    server: Server, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "bodies.txt").write_text("{}\n")
    (tmp_path / "t.txt").write_text("0\n0.5\n")
    proc = loadtest(server.url("/fast"), *args, cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize("url", ["ftp://host/", "not a url", "http://"])
def test_bad_url(url: str, tmp_path: Path) -> None:
    (tmp_path / "bodies.txt").write_text("{}\n")
    proc = loadtest(url, "--file", "bodies.txt", "--rate", "5", cwd=tmp_path)
    assert proc.returncode == 2
    assert "bad URL" in proc.stderr


def test_dead_port_reports_errors_not_a_crash(dead_port: int, tmp_path: Path) -> None:
    (tmp_path / "bodies.txt").write_text("{}\n")
    out = tmp_path / "r.json"
    proc = loadtest(
        f"http://127.0.0.1:{dead_port}/",
        *("--file", "bodies.txt", "--rate", "50", "--arrival", "constant", "--duration", "0.4s"),
        *("--json-out", str(out)),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["errorsByKind"] == {"connect": 20}
    assert "connect errors" in proc.stdout
