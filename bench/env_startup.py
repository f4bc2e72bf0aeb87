"""What a cached environment adds to a profile: finding it, and starting the service in it.

For the bundled example (its pinned requirements, its trained model), alternating:
``EnvironmentCache.prepare`` of the built environment, then the time from spawning
``python -m servesize.serving`` until the first sample request is answered, in the
built environment and in servesize's own interpreter (which has the same scikit-learn).

    .venv/bin/python bench/env_startup.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import EXAMPLES, free_port, uptime

from servesize.environments import BuildSpec, BuiltEnvironment, EnvironmentCache
from servesize.workspace import read_pip_requirements


def start_to_answer(built: BuiltEnvironment, body: bytes) -> float:
    port = free_port()
    env = built.launch_env(os.environ, {"OMP_NUM_THREADS": "1"})
    env["AZUREML_MODEL_DIR"] = str(EXAMPLES / "model")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    argv = [built.python, "-m", "servesize.serving", "--entry-script", str(EXAMPLES / "score.py")]
    started = time.monotonic()
    server = subprocess.Popen(
        [*argv, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/score", data=body)
                with opener.open(request, timeout=10) as response:
                    response.read()
                return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None:
                    raise SystemExit("the server exited") from None
                time.sleep(0.01)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workspace", help="default: a temporary one")
    args = parser.parse_args()
    if not (EXAMPLES / "model" / "model.joblib").is_file():
        raise SystemExit("run `make demo` first (it trains examples/model/model.joblib)")
    body = (EXAMPLES / "sample-requests.txt").read_text().splitlines()[0].encode()
    requirements, _text = read_pip_requirements(EXAMPLES / "requirements.txt")
    spec = BuildSpec("diabetes-sklearn", 1, tuple(requirements))
    with tempfile.TemporaryDirectory() as tmp:
        cache = EnvironmentCache(Path(args.workspace or tmp) / "envs")
        first = cache.prepare(spec)  # built (or found) once, outside the measurement
        current = EnvironmentCache(Path(tmp)).prepare(None)
        # the first start after a build writes the bytecode of what the script imports
        print(f"first start (cached={first.cached}): {start_to_answer(first, body):.3f} s")
        times: dict[str, list[float]] = {"prepare (cached)": [], "built env": [], "own": []}
        print(uptime())
        for index in range(args.rounds):
            started = time.monotonic()
            built = cache.prepare(spec)
            times["prepare (cached)"].append(time.monotonic() - started)
            pair = [("built env", built), ("own", current)]
            for name, env in pair if index % 2 == 0 else pair[::-1]:
                times[name].append(start_to_answer(env, body))
        print(uptime())
    print("\n| step | median s | runs (s) |\n|---|---:|---|")
    for name, values in times.items():
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"| {name} | {statistics.median(values):.3f} | {runs} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
