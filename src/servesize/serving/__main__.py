"""``python -m servesize.serving``: what the profiler spawns (``servesize serve`` minus ``-m``)."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from servesize.errors import InitError, ServesizeError
from servesize.serving._config import (
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_KEEP_ALIVE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    INIT_FAILED_EXIT_CODE,
    config_from_env,
)
from servesize.serving._server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m servesize.serving",
        description="Serve an Azure ML entry script. Flags override the AZUREML_* variables.",
    )
    parser.add_argument(
        "--entry-script", type=Path, help="score.py (default: $AZUREML_ENTRY_SCRIPT)"
    )
    parser.add_argument("--source-directory", type=Path, help="added to sys.path")
    parser.add_argument("--model-dir", type=Path, help="exported as AZUREML_MODEL_DIR")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001, help="0 picks a free port (logged)")
    parser.add_argument("--workers", type=int, help="processes (default: $WORKER_COUNT or 1)")
    parser.add_argument("--max-body-bytes", type=int, default=100 * 1024 * 1024)
    parser.add_argument(
        "--header-timeout",
        type=float,
        help="seconds to receive a request's headers, and the longest pause in its body "
        f"(default: $SERVESIZE_HEADER_TIMEOUT or {DEFAULT_HEADER_TIMEOUT:g})",
    )
    parser.add_argument(
        "--keep-alive-timeout",
        type=float,
        help="seconds an idle keep-alive connection stays open "
        f"(default: $SERVESIZE_KEEP_ALIVE_TIMEOUT or {DEFAULT_KEEP_ALIVE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        help="open connections per worker; more get 503 "
        f"(default: $SERVESIZE_MAX_CONNECTIONS or {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        default=None,
        help="log one line per request (default: $SERVESIZE_ACCESS_LOG)",
    )
    # `servesize serve -m` execs this host with the models in a temporary folder it owns.
    parser.add_argument("--owned-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        return _serve(args)
    finally:
        if args.owned_dir is not None:
            shutil.rmtree(args.owned_dir, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    try:
        config = config_from_env(
            args.entry_script,
            source_directory=args.source_directory,
            model_dir=args.model_dir,
            host=args.host,
            port=args.port,
            workers=args.workers,
            max_body_bytes=args.max_body_bytes,
            header_timeout=args.header_timeout,
            keep_alive_timeout=args.keep_alive_timeout,
            max_connections=args.max_connections,
            access_log=args.access_log,
        )
        serve(config)
    except ServesizeError as exc:
        text = str(exc).strip()
        print(f"error: {text.splitlines()[0] if text else type(exc).__name__}", file=sys.stderr)
        return INIT_FAILED_EXIT_CODE if isinstance(exc, InitError) else exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
