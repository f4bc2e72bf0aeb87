"""Building real environments with uv from PyPI: isolation, pins, cache, the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from servesize.environments import BuildSpec, EnvironmentCache, available_pythons

from .env_helpers import SERVESIZE, SIX, built_keys, leftovers

pytestmark = [pytest.mark.slow, pytest.mark.network]

_PROBE = """
import importlib.metadata as md, importlib.util as iu, json, sys
import httptools, six, uvloop
import servesize, servesize.serving
print(json.dumps({
    "prefix": sys.prefix,
    "six": six.__version__,
    "httptools": httptools.__version__,
    "servesize": servesize.__file__,
    "importable": {m: iu.find_spec(m) is not None for m in ("numpy", "rich", "typer", "psutil")},
    "installed": sorted(d.metadata["Name"].lower() for d in md.distributions()),
}))
"""


def _probe(python: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [python, "-c", _PROBE], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_script_sees_its_own_packages_and_the_host_only(workspace: Path) -> None:
    cache = EnvironmentCache(workspace / "envs")
    # the user's pin of a package the host needs wins over servesize's own version
    built = cache.prepare(BuildSpec("e", 1, (SIX, "httptools==0.6.1")))
    assert built.cached is False
    assert built.build_seconds > 0
    assert built.path is not None
    assert built.path.parent == workspace / "envs"
    assert {"six==1.16.0", "httptools==0.6.1"} <= set(built.packages)
    assert not any(p.startswith("servesize") for p in built.packages)

    # (this machine sets PYTHONDONTWRITEBYTECODE; the first start still writes bytecode)
    seen = _probe(
        built.python, built.launch_env({**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, {})
    )
    assert list(built.path.glob("lib/python*/site-packages/__pycache__/six.*.pyc"))
    assert seen["prefix"] == str(built.path)
    assert seen["six"] == "1.16.0"
    assert seen["httptools"] == "0.6.1"
    assert str(seen["servesize"]).startswith(str(workspace / "envs" / ".host"))
    # the host's folder holds the scoring host and what it imports of servesize, no more
    assert built.host_path is not None
    copied = {p.relative_to(built.host_path).parts[1] for p in built.host_path.rglob("*.py")}
    assert copied == {"__init__.py", "errors.py", "serving"}
    # servesize's own environment does not leak in: numpy is not importable here
    assert seen["importable"] == {"numpy": False, "rich": False, "typer": False, "psutil": False}
    # and nothing is installed beyond the user's packages and the host's two
    assert seen["installed"] == ["httptools", "six", "uvloop"]


def test_a_respelled_specification_is_served_from_the_cache(workspace: Path) -> None:
    cache = EnvironmentCache(workspace / "envs")
    first = cache.prepare(BuildSpec("e", 1, (SIX, "idna==3.7")))
    again = cache.prepare(BuildSpec("other", 2, ("IDNA == 3.7", "  six==1.16.0")))
    assert again.cached is True
    assert again.build_seconds == 0
    assert again.key == first.key
    assert again.details()["packages"] == first.details()["packages"]
    newer = cache.prepare(BuildSpec("e", 2, ("six==1.17.0", "idna==3.7")))
    assert newer.key != first.key
    assert len(built_keys(workspace)) == 2


def test_user_managed_runs_the_current_interpreter(workspace: Path) -> None:
    built = EnvironmentCache(workspace / "envs").prepare(
        BuildSpec("e", 1, (SIX,), user_managed=True)
    )
    details = built.details()
    assert details["isolated"] is False
    assert details["cacheKey"] is None
    assert any(p.lower().startswith("numpy==") for p in details["packages"])
    assert built_keys(workspace) == []


def test_cli_builds_lists_and_prunes(
    cli: Callable[..., subprocess.CompletedProcess[str]],
    requirements: Callable[..., Path],
    workspace: Path,
) -> None:
    assert (
        cli(
            "environment", "register", "-n", "e", "--pip-requirements", str(requirements(SIX))
        ).returncode
        == 0
    )
    listed = json.loads(cli("environment", "list", "--json").stdout)
    assert [(e["id"], e["built"]) for e in listed] == [("e:1", False)]

    built = cli("environment", "build", "e", "--json")
    assert built.returncode == 0, built.stderr
    details = json.loads(built.stdout)
    assert details["cached"] is False
    assert "six==1.16.0" in details["packages"]
    shown = cli("environment", "list")
    assert "built" in shown.stdout
    assert "MiB" in shown.stdout
    listed = json.loads(cli("environment", "list", "--json").stdout)
    assert listed[0]["built"] is True
    assert listed[0]["sizeBytes"] > 0

    # a registered version keeps its build; --all removes it
    assert json.loads(cli("environment", "prune", "--json").stdout)["removed"] == []
    pruned = json.loads(cli("environment", "prune", "--all", "--json").stdout)
    assert pruned["removed"] == [details["cacheKey"]]
    assert built_keys(workspace) == []
    assert leftovers(workspace) == []


def test_a_conda_python_version_is_honoured_and_hosts_the_script(
    workspace: Path, tmp_path: Path
) -> None:
    current = ".".join(map(str, sys.version_info[:2]))
    other = [v for v in available_pythons() if not v.startswith(current + ".")]
    if not other:
        pytest.skip(f"no Python other than {current} on this machine")
    wanted = ".".join(other[0].split(".")[:2])
    conda = {"dependencies": [f"python={wanted}", {"pip": [SIX]}]}
    built = EnvironmentCache(workspace / "envs").prepare(BuildSpec.from_parts("e", 1, [SIX], conda))
    assert built.python_version.startswith(wanted + ".")
    script = tmp_path / "score.py"
    script.write_text(
        "import sys, six\ndef init(): pass\n"
        "def run(raw): return {'python': '%d.%d' % sys.version_info[:2], 'six': six.__version__}\n"
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [built.python, "-m", "servesize.serving", "--entry-script", str(script)]
    service = subprocess.Popen(
        [*argv, "--port", str(port)],
        env=built.launch_env(os.environ, {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answer = _post_when_ready(f"http://127.0.0.1:{port}/score", service)
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert answer == {"python": wanted, "six": "1.16.0"}


def _post_when_ready(url: str, service: subprocess.Popen[bytes]) -> object:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 60
    while True:
        assert service.poll() is None, "the host exited"
        try:
            request = urllib.request.Request(url, data=b"{}", method="POST")
            with opener.open(request, timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # polling for readiness, not a synchronisation guess


def test_serve_runs_the_script_in_a_registered_environment(
    cli: Callable[..., subprocess.CompletedProcess[str]],
    requirements: Callable[..., Path],
    workspace: Path,
    tmp_path: Path,
) -> None:
    cli("environment", "register", "-n", "e", "--pip-requirements", str(requirements(SIX)))
    script = tmp_path / "score.py"
    script.write_text("import six\ndef init(): pass\ndef run(raw): return six.__version__\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "SERVESIZE_WORKSPACE": str(workspace)}
    # servers of other tests this process runs may be alive (session-scoped fixtures)
    before = set(psutil.Process().children(recursive=True))
    serve = subprocess.Popen(
        [str(SERVESIZE), "serve", "--entry-script", str(script), "-e", "e", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _post_when_ready(f"http://127.0.0.1:{port}/score", serve) == "1.16.0"
        # the CLI became the host (exec) with the environment's interpreter
        assert psutil.Process(serve.pid).cmdline()[0].startswith(str(workspace / "envs"))
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)
        assert set(psutil.Process().children(recursive=True)) - before == set()
    finally:
        serve.kill()
        serve.wait()
