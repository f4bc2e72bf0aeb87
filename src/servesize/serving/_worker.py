"""One worker: load the entry script, run ``init()`` once, then serve on a shared socket.

The caller decides when the socket starts listening (after *every* worker's init),
so ``GET /`` only ever answers once the whole service is ready.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from servesize.errors import InitError
from servesize.serving._config import ServerConfig, StopRequested
from servesize.serving._handler import Handler
from servesize.serving._protocol import HttpProtocol, Limits, sweep
from servesize.serving._script import load_entry_script

__all__ = ["prepare_worker", "serve_forever"]

logger = logging.getLogger("servesize.serving")
_TREE_LIMIT = 200


def _walk(path: Path, depth: int = 0) -> Iterator[str]:
    indent = " " * 4 * depth
    if path.is_dir():
        yield f"{indent}{path.name}{os.sep}"
        for child in sorted(path.iterdir()):
            yield from _walk(child, depth + 1)
    else:
        yield f"{indent}{path.name}"


def _log_model_dir() -> None:
    model_dir = os.environ.get("AZUREML_MODEL_DIR", "")
    if not model_dir or not os.path.exists(model_dir):
        logger.info("Model directory is not set or does not exist: %s", model_dir)
        return
    logger.info("Model Directory Contents:")
    tree = _walk(Path(model_dir))
    for line in itertools.islice(tree, _TREE_LIMIT):
        logger.info(line)
    if next(tree, None) is not None:
        logger.info("Output Truncated. First %d lines shown.", _TREE_LIMIT)


def prepare_worker(config: ServerConfig, script_path: Path) -> Handler:
    """Import the script and run ``init()``; raise EntryScriptError or InitError."""
    # print() in init/run must reach the log promptly even when stdout is a file.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    # SIGTERM while the script loads or init() runs: stop cleanly (serve_forever's loop
    # takes the signal over once it runs). Python runs the handler between bytecodes, so
    # a long C call in init() finishes first.
    signal.signal(signal.SIGTERM, _stop_requested)
    script = load_entry_script(script_path)
    logger.info("Loaded %s (input mode: %s); invoking init()", script_path, script.mode)
    try:
        script.init()
    except StopRequested:
        raise
    except BaseException as exc:
        logger.exception("User's init function failed")
        _log_model_dir()
        raise InitError(f"init() failed: {type(exc).__name__}: {exc}") from exc
    logger.info("init() completed in worker pid %d", os.getpid())
    return Handler(script, config.timeout_ms(), os.environ.get("AML_APP_ROOT", os.getcwd()))


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise StopRequested


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def serve_forever(
    handler: Handler,
    config: ServerConfig,
    sock: socket.socket,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """Serve ``sock`` until SIGTERM/SIGINT, then close every connection and return."""
    loop = _new_loop()
    asyncio.set_event_loop(loop)
    connections: set[HttpProtocol] = set()
    limits = Limits(
        config.max_body_bytes,
        config.max_header_bytes,
        config.header_timeout,
        config.keep_alive_timeout,
        config.max_connections,
        config.access_log,
    )
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _resolve, stop)
    # One timer for all connections' timeouts, instead of one per connection and request.
    interval = min(1.0, config.header_timeout / 4, config.keep_alive_timeout / 4)

    def tick() -> None:
        sweep(connections)
        loop.call_later(interval, tick)

    loop.call_later(interval, tick)

    async def main() -> None:
        server = await loop.create_server(
            lambda: HttpProtocol(handler, limits, connections), sock=sock, backlog=2048
        )
        if on_listening is not None:
            on_listening()
        await stop
        server.close()
        for conn in list(connections):
            conn.close()
        await server.wait_closed()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
        handler.errors.log_summary()
