"""Environment build speed: servesize's uv build vs ``python -m venv`` + ``pip install``.

Side by side, alternating, for the same requirements (default: scikit-learn, numpy,
joblib, unpinned, as a user would write them):

- cold uv: a new workspace (an empty uv cache: every wheel downloaded);
- venv + pip: a new venv, ``pip install --no-cache-dir`` (every wheel downloaded);
- warm uv cache: the environment removed, the uv cache kept (a new spec whose wheels
  were seen before);
- cached: ``EnvironmentCache.prepare`` of a built environment, what a profile pays.

    .venv/bin/python bench/env_build.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import uptime

from servesize.environments import BuildSpec, EnvironmentCache


def uv_cold(requirements: list[str], scratch: Path) -> float:
    cache = EnvironmentCache(scratch / "ws-uv" / "envs")
    started = time.monotonic()
    cache.prepare(BuildSpec("bench", 1, tuple(requirements)))
    return time.monotonic() - started


def uv_warm_cache(requirements: list[str], scratch: Path) -> float:
    cache = EnvironmentCache(scratch / "ws-uv" / "envs")
    for entry in cache.entries():
        cache.remove(entry.key)
    started = time.monotonic()
    cache.prepare(BuildSpec("bench", 1, tuple(requirements)))
    return time.monotonic() - started


def cached(requirements: list[str], scratch: Path) -> float:
    cache = EnvironmentCache(scratch / "ws-uv" / "envs")
    started = time.monotonic()
    built = cache.prepare(BuildSpec("bench", 1, tuple(requirements)))
    assert built.cached
    return time.monotonic() - started


def venv_pip(requirements: list[str], scratch: Path) -> float:
    target = scratch / "venv-pip"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    subprocess.run(
        [str(target / "bin" / "pip"), "install", "--quiet", "--no-cache-dir", *requirements],
        check=True,
        stderr=subprocess.DEVNULL,  # the machine's pip config names absent local indexes
    )
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("requirements", nargs="*", default=["scikit-learn", "numpy", "joblib"])
    args = parser.parse_args()
    os.environ.pop("SERVESIZE_UV_CACHE_DIR", None)  # each workspace its own, cold cache
    times: dict[str, list[float]] = {"uv cold": [], "venv + pip": [], "uv warm cache": []}
    times["cached (a profile's cost)"] = []
    print(f"before: {uptime()}")
    for index in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
            scratch = Path(tmp)
            # alternate which goes first: the machine is shared and its load drifts
            order = [uv_cold, venv_pip] if index % 2 == 0 else [venv_pip, uv_cold]
            for step in order:
                name = "uv cold" if step is uv_cold else "venv + pip"
                times[name].append(step(args.requirements, scratch))
            times["cached (a profile's cost)"].append(cached(args.requirements, scratch))
            times["uv warm cache"].append(uv_warm_cache(args.requirements, scratch))
            shutil.rmtree(scratch / "venv-pip", ignore_errors=True)
        print(f"round {index + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()))
    print(f"after: {uptime()}")
    print()
    print("| build | median s | runs (s) |")
    print("|---|---:|---|")
    for name, values in times.items():
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"| {name} | {statistics.median(values):.3f} | {runs} |")
    ratio = statistics.median(times["venv + pip"]) / statistics.median(times["uv cold"])
    print(f"\ncold uv build is {ratio:.1f}x faster than venv + pip (medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
