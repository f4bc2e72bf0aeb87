"""Running uv (the binary its PyPI wheel ships) and reading its errors as one line."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence

from servesize._process import spawn
from servesize.errors import CancelledError, EnvironmentBuildError

__all__ = ["NETWORK_HINTS", "one_line", "run_uv", "uv_binary"]

#: Fragments of uv's messages when the package index cannot be reached.
NETWORK_HINTS = (
    "Failed to fetch",
    "error sending request",
    "tcp connect error",
    "dns error",
    "Connection refused",
    "Network is unreachable",
    "timed out",
)


def uv_binary() -> str:
    try:
        from uv import find_uv_bin
    except ImportError as exc:  # pragma: no cover - uv is a dependency
        raise EnvironmentBuildError("building environments needs uv (pip install uv)") from exc
    try:
        return str(find_uv_bin())
    except FileNotFoundError as exc:  # pragma: no cover - a broken uv install
        raise EnvironmentBuildError(f"the uv binary is missing: {exc}") from exc


def run_uv(
    args: Sequence[str],
    *,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 1800,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[int, str, str]:
    """Run ``uv ARGS``; return its exit code, stdout and stderr.

    ``cancelled()`` is polled a few times a second: when it turns true uv is killed
    and ``CancelledError`` raised (a profile cancelled during its build). uv dies with
    us too (a profiler killed with SIGKILL must not leave uv writing into a temporary
    folder that the next build removes).
    """
    env = dict(os.environ)
    env.update(extra_env or {})
    env.setdefault("NO_COLOR", "1")
    try:
        # a Ctrl-C during the fork is raised after it, with uv killed (_process.spawn)
        uv: subprocess.Popen[str] = spawn(
            [uv_binary(), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        raise EnvironmentBuildError(f"cannot run uv: {exc.strerror or exc}") from exc
    deadline = time.monotonic() + timeout
    with uv:
        try:
            while True:
                try:
                    out, err = uv.communicate(timeout=0.2)
                    return uv.returncode, out, err
                except subprocess.TimeoutExpired:
                    if cancelled is not None and cancelled():
                        raise CancelledError("cancelled while building the environment") from None
                    if time.monotonic() > deadline:
                        raise EnvironmentBuildError(
                            f"uv {args[0]} took more than {timeout:g} s"
                        ) from None
        except BaseException:
            # Every way out kills uv, a Ctrl-C landing between two polls included (in
            # the except clause above it escaped a sibling handler, and uv outlived
            # the build in a process that goes on, such as a notebook's kernel).
            uv.kill()
            raise


def one_line(stderr: str) -> str:
    """uv's ``error: X`` and its ``cause:`` chain as one line: the error, the first cause
    and the innermost one (the first names the URL or package, the last the reason)."""
    error = ""
    causes: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if line.startswith("error:") and not error:
            error = line.removeprefix("error:").strip()
        elif line.startswith("cause:"):
            causes.append(line.removeprefix("cause:").strip())
    if not error:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        return lines[-1] if lines else "uv failed without a message"
    picked = [c for i, c in enumerate(causes) if i in (0, len(causes) - 1)]
    return ": ".join([error, *picked])
