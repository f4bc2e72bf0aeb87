"""``serve(config)``: bind, start the workers, open the port once all are ready, stop cleanly.

One worker runs in this process.  Several are forked children sharing one bound
socket; the parent only supervises: it opens the port (tells the workers to listen)
after every ``init()`` succeeded, forwards SIGTERM/SIGINT, and if a worker dies
unexpectedly it stops the others and fails -- it never restarts one silently.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path

from servesize.serving._config import ServerConfig, StopRequested
from servesize.serving._supervisor import Supervisor
from servesize.serving._worker import prepare_worker, serve_forever

__all__ = ["serve"]

logger = logging.getLogger("servesize.serving")
_FORMAT = "%(asctime)s %(levelname).1s [%(process)d] %(name)s - %(message)s"


def _setup_logging() -> None:
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(os.environ.get("AZUREML_LOG_LEVEL", "INFO").upper())
    logger.propagate = False


def _export_environment(config: ServerConfig, script: Path) -> None:
    """The variables entry scripts read, set before anything user-written runs."""
    env = os.environ
    env.setdefault("AML_APP_ROOT", os.getcwd())
    env["AZUREML_ENTRY_SCRIPT"] = str(script)
    if config.model_dir is not None:
        env["AZUREML_MODEL_DIR"] = str(config.model_dir.resolve())
    if config.source_directory is not None:
        env["AZUREML_SOURCE_DIRECTORY"] = str(config.source_directory.resolve())
    env["SCORING_TIMEOUT_MS"] = str(config.timeout_ms())
    env["WORKER_COUNT"] = str(config.workers)
    # azmlinfsrv appends the app root and the source directory; we add the script's
    # own directory too, so helpers next to score.py import without a source dir.
    for extra in (env["AML_APP_ROOT"], env.get("AZUREML_SOURCE_DIRECTORY"), str(script.parent)):
        if extra and extra not in sys.path:
            sys.path.append(extra)


def _bind(config: ServerConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        from servesize.errors import ServiceError

        raise ServiceError(f"cannot bind {config.host}:{config.port}: {exc.strerror}") from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def serve(config: ServerConfig) -> None:
    """Serve the entry script until SIGTERM/SIGINT; raise on start-up failures.

    Raises :class:`~servesize.errors.EntryScriptError` (script cannot be loaded),
    :class:`~servesize.errors.InitError` (``init()`` raised; exit code 3) or
    :class:`~servesize.errors.ServiceError` (port taken, a worker died)::

        serve(ServerConfig(entry_script=Path("score.py"), port=5001, workers=2))
    """
    config.validate()
    script = config.script_path()
    _setup_logging()
    _export_environment(config, script)
    sock = _bind(config)
    try:
        host, port = sock.getsockname()[:2]
        url = f"http://{host}:{port}"
        if config.workers == 1:
            handler = prepare_worker(config, script)
            serve_forever(
                handler, config, sock, lambda: logger.info("Listening at %s (1 worker)", url)
            )
        else:
            Supervisor(config, script, sock, url).run()
    except StopRequested:
        logger.info("Stopped by SIGTERM during start-up")
    finally:
        sock.close()
    logger.info("Server stopped")
