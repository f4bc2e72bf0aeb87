"""The parent of N forked workers: start them, open the port when all are ready, stop them.

Workers report on one shared pipe with short lines (atomic below PIPE_BUF):
``<pid> R`` ready, ``<pid> E <message>`` entry-script error, ``<pid> I <message>``
init failure.  Each worker then waits on its own "go" pipe before it listens.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path

from servesize.errors import EntryScriptError, InitError, ServesizeError, ServiceError
from servesize.serving._config import ServerConfig, StopRequested
from servesize.serving._worker import prepare_worker, serve_forever

__all__ = ["Supervisor"]

logger = logging.getLogger("servesize.serving")
_STOP_GRACE_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the supervisor dies, even by SIGKILL (no orphans)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    """Fork ``config.workers`` workers on ``sock`` and supervise them until stopped."""

    def __init__(self, config: ServerConfig, script: Path, sock: socket.socket, url: str) -> None:
        self.config, self.script, self.sock, self.url = config, script, sock, url
        self.children: dict[int, int] = {}  # pid -> write end of its "go" pipe
        self.status_r, self.status_w = os.pipe()
        self.stopping = False

    def run(self) -> None:
        parent = os.getpid()
        for _ in range(self.config.workers):
            go_r, go_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(go_w)
                self._child(go_r, parent)
            os.close(go_r)
            self.children[pid] = go_w
        os.close(self.status_w)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        old_fd = signal.set_wakeup_fd(wake_w)
        old = {
            s: signal.signal(s, lambda *_: None)
            for s in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)
        }
        try:
            self._supervise(wake_r)
        finally:
            self._stop_all()
            signal.set_wakeup_fd(old_fd)
            for signum, handler in old.items():
                signal.signal(signum, handler)
            for fd in (wake_r, wake_w, self.status_r):
                os.close(fd)

    def _supervise(self, wake_r: int) -> None:
        ready: set[int] = set()
        buffer = b""
        while True:
            readable, _, _ = select.select([self.status_r, wake_r], [], [], 1.0)
            if wake_r in readable:
                signums = os.read(wake_r, 64)
                if {signal.SIGTERM, signal.SIGINT} & set(signums):
                    logger.info("Stopping %d workers", len(self.children))
                    return
            if self.status_r in readable:
                chunk = os.read(self.status_r, 65536)
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    ready |= self._on_status(line.decode("utf-8", "replace"))
                if len(ready) == len(self.children) and ready:
                    self._open_port()
                    ready = set()  # opened once; from now on only deaths matter
            self._reap()

    def _on_status(self, line: str) -> set[int]:
        pid_text, kind, message = [*line.split(" ", 2), "", ""][:3]
        if kind == "E":
            raise EntryScriptError(message)
        if kind == "I":
            raise InitError(message)
        return {int(pid_text)} if kind == "R" else set()

    def _open_port(self) -> None:
        # Listen here, so the port accepts (queues) connections from the moment it is
        # logged as open, before each worker's event loop has started.
        self.sock.listen(2048)
        for go_w in self.children.values():
            os.write(go_w, b"g")
        logger.info("Listening at %s (%d workers)", self.url, len(self.children))

    def _reap(self) -> None:
        for pid in list(self.children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                os.close(self.children.pop(pid))
                code = os.waitstatus_to_exitcode(status)
                what = f"signal {-code}" if code < 0 else f"exit code {code}"
                raise ServiceError(f"worker {pid} died unexpectedly ({what}); stopping the service")

    def _stop_all(self) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        while self.children:
            for pid in list(self.children):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    os.close(self.children.pop(pid))
            if self.children and time.monotonic() > deadline:
                for pid in self.children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            if self.children:
                time.sleep(0.02)  # polling waitpid; the children are already signalled

    def _child(self, go_r: int, parent: int) -> None:
        """The worker side of the fork; never returns."""
        code = 0
        try:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            _die_with_parent()
            if os.getppid() != parent:
                os._exit(1)
            os.close(self.status_r)
            for other in self.children.values():
                os.close(other)
            try:
                handler = prepare_worker(self.config, self.script)
            except ServesizeError as exc:
                kind = "I" if isinstance(exc, InitError) else "E"
                self._report(
                    f"{kind} {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                )
                code = exc.exit_code
                return
            self._report("R")
            if os.read(go_r, 1) != b"g":  # the supervisor went away
                return
            serve_forever(handler, self.config, self.sock)
        except StopRequested:
            code = 0  # the supervisor stops its workers with SIGTERM, even during init()
        except BaseException:
            logger.exception("worker %d crashed", os.getpid())
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _report(self, message: str) -> None:
        data = f"{os.getpid()} {message}"[:500].replace("\n", " ") + "\n"
        os.write(self.status_w, data.encode("utf-8", "replace"))
