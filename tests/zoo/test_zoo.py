"""A smoke test per zoo model: build it from the data its package ships, start it the way
a profile does (servesize's launcher, its real server), and score two requests.

Full profiles of the zoo are a benchmark (bench/zoo.py, bench/RESULTS-zoo.md), not a test.
"""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from servesize.profiling import _service
from servesize.profiling.launcher import Service
from servesize.profiling.servers import Endpoint
from servesize.profiling.settings import ProfileSettings
from servesize.sdk._resolve import profile_request
from servesize.workspace import Store

ZOO = Path(__file__).resolve().parents[2] / "examples" / "zoo"
sys.path.insert(0, str(ZOO))
zoo: ModuleType = __import__("zoo")

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftovers")]


def _post(port: int, path: str, body: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize("name", [e.name for e in zoo.ENTRIES])
def test_each_zoo_model_builds_and_scores(name: str, tmp_path: Path) -> None:
    entry = zoo.get(name)
    gaps = zoo.missing(entry)
    if gaps:
        pytest.skip(f"{name} needs {', '.join(gaps)} (see docs/zoo.md)")
    build = zoo.builder(entry)
    model_path = build.build(tmp_path / "built")
    bodies = build.requests(count=2)
    assert len(bodies) == 2
    store = Store.open(tmp_path / "ws")
    store.models.register(name.replace("_", "-"), model_path)
    store.datasets.register("rows", bodies)
    request = profile_request(
        store, name="smoke", models=[name.replace("_", "-")], inference_config=zoo.config(entry),
        dataset="rows", cpu=None, memory_gb=None, description=None,
        settings=ProfileSettings(cgroups=False),
    )  # fmt: skip
    workdir, rows = _service.prepare_inputs(store, request)
    endpoint = request.server.endpoint if request.server else Endpoint()
    service, url = _service.launch_service(request, workdir, tmp_path / "log", None, None, None)
    assert isinstance(service, Service)  # launched, not attached
    with service:
        service.wait_ready(url + (endpoint.health_path or "/"), timeout=180)
        port = int(url.rsplit(":", 1)[1])
        for body in rows:
            status, answer = _post(port, endpoint.score_path, body.decode())
            assert status == 200, answer
            predictions = answer["predictions"] if isinstance(answer, dict) else answer
            assert len(predictions) == len(_rows_of(json.loads(body)))


def _rows_of(body: dict[str, Any]) -> list[Any]:
    for key in ("data", "sentences"):
        if key in body:
            return list(body[key])
    return list(body["dataframe_split"]["data"])
