"""The scoring server: hosts Azure ML entry scripts (``score.py``) unchanged, fast.

    >>> from pathlib import Path
    >>> from servesize.serving import ServerConfig, serve
    >>> config = ServerConfig(entry_script=Path("score.py"), port=5001, workers=2)
    >>> serve(config)  # doctest: +SKIP

The same from a shell: ``python -m servesize.serving --entry-script score.py``.
"""

from servesize.serving._aml import AMLRequest, AMLResponse, rawhttp
from servesize.serving._config import (
    DEFAULT_SCORING_TIMEOUT_MS,
    INIT_FAILED_EXIT_CODE,
    ServerConfig,
    config_from_env,
)
from servesize.serving._errors import read_run_errors
from servesize.serving._server import serve

__all__ = [
    "DEFAULT_SCORING_TIMEOUT_MS",
    "INIT_FAILED_EXIT_CODE",
    "AMLRequest",
    "AMLResponse",
    "ServerConfig",
    "config_from_env",
    "rawhttp",
    "read_run_errors",
    "serve",
]
