"""Building one environment with uv, into a temporary folder renamed into place.

Everything happens in ``.tmp-KEY-*`` next to the final folder; only a complete
environment (its ``servesize-env.json`` written last) is renamed to ``KEY``, so a build
that fails or is interrupted leaves no environment that looks usable, and the next
build of the same key (under the same lock) removes what it left.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from servesize.environments._python import Interpreter
from servesize.environments._spec import BuildSpec, normalise
from servesize.environments._uv import NETWORK_HINTS, one_line, run_uv
from servesize.errors import EnvironmentBuildError

__all__ = ["METADATA", "BuildResult", "build_into", "interpreter_of"]

#: Written last into a built environment: what it holds and how it was made.
METADATA = "servesize-env.json"


@dataclass(frozen=True)
class BuildResult:
    path: Path
    metadata: dict[str, Any]


def interpreter_of(env: Path) -> Path:
    return env / "bin" / "python"


def build_into(
    final: Path,
    spec: BuildSpec,
    python: Interpreter,
    key: str,
    cache_dir: Path,
    cancelled: Callable[[], bool] | None = None,
) -> BuildResult:
    """Build ``spec`` and rename it to ``final`` (which must not exist); ``cancelled``
    is polled while uv runs (``CancelledError``, nothing left behind)."""

    def uv(args: list[str]) -> tuple[int, str, str]:
        return run_uv(args, extra_env=_uv_env(cache_dir), cancelled=cancelled)

    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=final.parent))
    try:
        env = staging / "env"
        venv = ["venv", "--no-config", "--quiet", "--relocatable", "--python", python.path]
        _check(uv([*venv, str(env)]), spec)
        requirements = spec.with_host()
        req_file = staging / "requirements.txt"
        req_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        _install(uv, env, req_file, spec)
        code, out, err = uv(["pip", "freeze", "--no-config", "--python", str(interpreter_of(env))])
        _check((code, out, err), spec)
        added = [r for r in requirements if r not in spec.requirements]
        replaced = list(spec.replaced())
        metadata = {
            "cacheKey": key,
            "name": spec.name,
            "version": spec.version,
            "requirements": normalise(spec.requirements),
            "hostRequirements": added,
            "replacedByHost": replaced,
            "pythonVersion": python.version,
            "packages": [line for line in out.splitlines() if line.strip()],
            "buildSeconds": round(time.monotonic() - started, 3),
            "createdTime": datetime.now(UTC).isoformat(),
        }
        # the staging folder's name must not be the environment's: the venv is the
        # ``env`` folder inside, renamed on its own
        (env / METADATA).write_text(json.dumps(metadata, indent=1), encoding="utf-8")
        os.rename(env, final)
        return BuildResult(final, metadata)
    except OSError as exc:
        raise EnvironmentBuildError(f"cannot build {spec.label}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _uv_env(cache_dir: Path) -> dict[str, str]:
    # the cache on the environments' file system, and hardlinks: a warm build copies
    # nothing (uv's default link mode is a copy where reflinks are unsupported)
    return {
        "UV_CACHE_DIR": str(cache_dir),
        "UV_LINK_MODE": "hardlink",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
    }


def _install(
    uv: Callable[[list[str]], tuple[int, str, str]], env: Path, req_file: Path, spec: BuildSpec
) -> None:
    args = ["pip", "install", "--no-config", "--python", str(interpreter_of(env))]
    args += ["-r", str(req_file)]
    code, _out, err = uv(args)
    if code == 0:
        return
    message = one_line(err)
    if any(hint in err for hint in NETWORK_HINTS):
        # no index: what the cache holds may be enough (the demo after its first run)
        offline = uv([*args, "--offline"])
        if offline[0] == 0:
            return
        raise EnvironmentBuildError(
            f"cannot build {spec.label}: the package index cannot be reached ({message}) "
            "and the cache does not hold every package; connect to the network and retry"
        )
    raise EnvironmentBuildError(f"cannot build {spec.label}: {message}")


def _check(result: tuple[int, str, str], spec: BuildSpec) -> None:
    code, _out, err = result
    if code != 0:
        raise EnvironmentBuildError(f"cannot build {spec.label}: {one_line(err)}")
