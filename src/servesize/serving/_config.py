"""Inert server configuration: what to serve and where, resolved once before start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from servesize.errors import EntryScriptError, InvalidInputError

__all__ = [
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_KEEP_ALIVE_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_SCORING_TIMEOUT_MS",
    "INIT_FAILED_EXIT_CODE",
    "ServerConfig",
    "StopRequested",
    "config_from_env",
]

#: azmlinfsrv's default bound on one ``run()`` call: one hour.
DEFAULT_SCORING_TIMEOUT_MS = 3_600_000
#: The server process exits with this code when ``init()`` raises, as azmlinfsrv does.
INIT_FAILED_EXIT_CODE = 3
_MIB = 1024 * 1024
#: Seconds a client has to send a request's headers (from its first byte, or from the
#: connection), and the longest pause allowed while it sends the body.
DEFAULT_HEADER_TIMEOUT = 30.0
#: Seconds an idle keep-alive connection stays open between requests.
DEFAULT_KEEP_ALIVE_TIMEOUT = 60.0
#: Open connections per worker; more are answered 503 and closed.
DEFAULT_MAX_CONNECTIONS = 2048


class StopRequested(BaseException):
    """SIGTERM arrived while the worker was starting (importing the script, in init())."""


@dataclass(frozen=True)
class ServerConfig:
    """What the scoring server hosts and how.

    ``scoring_timeout_ms=None`` reads ``SCORING_TIMEOUT_MS`` from the environment
    (default 3,600,000, like azmlinfsrv)::

        >>> from pathlib import Path
        >>> ServerConfig(entry_script=Path("score.py"), port=0).workers
        1
    """

    entry_script: Path
    source_directory: Path | None = None
    model_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5001
    workers: int = 1
    scoring_timeout_ms: int | None = None
    max_body_bytes: int = 100 * _MIB
    max_header_bytes: int = 64 * 1024
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    keep_alive_timeout: float = DEFAULT_KEEP_ALIVE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    access_log: bool = False

    def timeout_ms(self) -> int:
        """The scoring timeout in ms: the field, else ``SCORING_TIMEOUT_MS``, else 1 h."""
        if self.scoring_timeout_ms is not None:
            value: int | str = self.scoring_timeout_ms
        else:
            value = os.environ.get("SCORING_TIMEOUT_MS", "").strip() or DEFAULT_SCORING_TIMEOUT_MS
        try:
            timeout = int(value)
        except ValueError:
            raise InvalidInputError(
                f"SCORING_TIMEOUT_MS must be an integer, got {value!r}"
            ) from None
        if timeout <= 0:
            raise InvalidInputError(f"the scoring timeout must be > 0 ms, got {timeout}")
        return timeout

    def validate(self) -> None:
        """Raise a one-line error for values no server could run with."""
        if self.workers < 1:
            raise InvalidInputError(f"--workers must be at least 1, got {self.workers}")
        if not 0 <= self.port <= 65535:
            raise InvalidInputError(f"--port must be within 0..65535, got {self.port}")
        if self.max_body_bytes < 1 or self.max_header_bytes < 1024:
            raise InvalidInputError(
                "the body limit must be >= 1 byte and the header limit >= 1 KiB"
            )
        if not (self.header_timeout > 0 and self.keep_alive_timeout > 0):
            raise InvalidInputError(
                "--header-timeout and --keep-alive-timeout must be > 0 seconds, got "
                f"{self.header_timeout:g} and {self.keep_alive_timeout:g}"
            )
        if self.max_connections < 1:
            raise InvalidInputError(
                f"--max-connections must be at least 1, got {self.max_connections}"
            )
        if self.model_dir is not None and not self.model_dir.is_dir():
            raise InvalidInputError(f"model directory not found: {self.model_dir}")
        if self.source_directory is not None and not self.source_directory.is_dir():
            raise InvalidInputError(f"source directory not found: {self.source_directory}")
        self.timeout_ms()

    def script_path(self) -> Path:
        """The entry script as an absolute path (relative ones may live in the source dir)."""
        candidates = [self.entry_script]
        if not self.entry_script.is_absolute() and self.source_directory is not None:
            candidates.append(self.source_directory / self.entry_script)
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
        raise EntryScriptError(f"entry script not found: {self.entry_script}")


def config_from_env(
    entry_script: Path | None = None,
    *,
    source_directory: Path | None = None,
    model_dir: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 5001,
    workers: int | None = None,
    max_body_bytes: int = 100 * _MIB,
    header_timeout: float | None = None,
    keep_alive_timeout: float | None = None,
    max_connections: int | None = None,
    access_log: bool | None = None,
) -> ServerConfig:
    """A config from explicit values, falling back to azmlinfsrv's environment variables.

    ``AZUREML_ENTRY_SCRIPT``, ``AZUREML_SOURCE_DIRECTORY`` (relative to ``AML_APP_ROOT``),
    ``AZUREML_MODEL_DIR`` and ``WORKER_COUNT`` fill in what the caller left out, and
    servesize's own ``SERVESIZE_HEADER_TIMEOUT``, ``SERVESIZE_KEEP_ALIVE_TIMEOUT``,
    ``SERVESIZE_MAX_CONNECTIONS`` and ``SERVESIZE_ACCESS_LOG`` (``1``/``true``).
    """
    env = os.environ
    app_root = Path(env.get("AML_APP_ROOT") or os.getcwd())
    if entry_script is None:
        if not env.get("AZUREML_ENTRY_SCRIPT"):
            raise EntryScriptError(
                "no entry script: pass --entry-script or set AZUREML_ENTRY_SCRIPT"
            )
        entry_script = app_root / env["AZUREML_ENTRY_SCRIPT"]
    if source_directory is None and env.get("AZUREML_SOURCE_DIRECTORY"):
        source_directory = app_root / env["AZUREML_SOURCE_DIRECTORY"]
    if model_dir is None and env.get("AZUREML_MODEL_DIR"):
        model_dir = Path(env["AZUREML_MODEL_DIR"])
    if workers is None:
        workers = int(_from_env("WORKER_COUNT", 1, int))
    if header_timeout is None:
        header_timeout = _from_env("SERVESIZE_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT, float)
    if keep_alive_timeout is None:
        keep_alive_timeout = _from_env(
            "SERVESIZE_KEEP_ALIVE_TIMEOUT", DEFAULT_KEEP_ALIVE_TIMEOUT, float
        )
    if max_connections is None:
        max_connections = int(_from_env("SERVESIZE_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, int))
    if access_log is None:
        access_log = env.get("SERVESIZE_ACCESS_LOG", "").strip().lower() in ("1", "true", "yes")
    return ServerConfig(
        entry_script=entry_script,
        source_directory=source_directory,
        model_dir=model_dir,
        host=host,
        port=port,
        workers=workers,
        max_body_bytes=max_body_bytes,
        header_timeout=header_timeout,
        keep_alive_timeout=keep_alive_timeout,
        max_connections=max_connections,
        access_log=access_log,
    )


def _from_env(name: str, default: float, kind: type[int] | type[float]) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise InvalidInputError(f"{name} must be {what}, got {raw!r}") from None
