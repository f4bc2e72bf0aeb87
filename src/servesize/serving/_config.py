"""Inert server configuration: what to serve and where, resolved once before start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from servesize.errors import EntryScriptError, InvalidInputError

__all__ = [
    "DEFAULT_SCORING_TIMEOUT_MS",
    "INIT_FAILED_EXIT_CODE",
    "ServerConfig",
    "config_from_env",
]

#: azmlinfsrv's default bound on one ``run()`` call: one hour.
DEFAULT_SCORING_TIMEOUT_MS = 3_600_000
#: The server process exits with this code when ``init()`` raises, as azmlinfsrv does.
INIT_FAILED_EXIT_CODE = 3
_MIB = 1024 * 1024


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
) -> ServerConfig:
    """A config from explicit values, falling back to azmlinfsrv's environment variables.

    ``AZUREML_ENTRY_SCRIPT``, ``AZUREML_SOURCE_DIRECTORY`` (relative to ``AML_APP_ROOT``),
    ``AZUREML_MODEL_DIR`` and ``WORKER_COUNT`` fill in what the caller left out.
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
        raw = env.get("WORKER_COUNT", "1").strip() or "1"
        try:
            workers = int(raw)
        except ValueError:
            raise InvalidInputError(f"WORKER_COUNT must be an integer, got {raw!r}") from None
    return ServerConfig(
        entry_script=entry_script,
        source_directory=source_directory,
        model_dir=model_dir,
        host=host,
        port=port,
        workers=workers,
        max_body_bytes=max_body_bytes,
    )
