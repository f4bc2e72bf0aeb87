"""Service kinds beyond ``score.py``: a server started by a command, or one already running.

The procedure profiles a *service*; what differs between kinds is only what to spawn,
how to tell it is ready and where to send the requests.  These inert records say that;
:mod:`servesize.profiling._servers` starts (or attaches to) them.

>>> server = server_command("uvicorn app:app --port {port}", score_path="/predict")
>>> server.argv[0], server.endpoint.score_path
('uvicorn', '/predict')
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from servesize.errors import InvalidInputError

__all__ = [
    "PORT_PLACEHOLDER",
    "AttachedUrl",
    "Endpoint",
    "ServerCommand",
    "attached_url",
    "fill",
    "is_loopback",
    "server_command",
]

PORT_PLACEHOLDER = "{port}"
_PATH = re.compile(r"^/[!-~]*$")  # absolute, printable, no spaces
_METHOD = re.compile(r"^[A-Z]+$")
_CONTENT_TYPE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!-~ ]+$")


@dataclass(frozen=True)
class Endpoint:
    """Where and how requests go: the score path, the method, the body's content type,
    and the readiness probe (``health_path``; None: the port accepting connections)."""

    score_path: str = "/score"
    health_path: str | None = "/"
    method: str = "POST"
    content_type: str = "application/json"

    def __post_init__(self) -> None:
        for what, path in (("score path", self.score_path), ("health path", self.health_path)):
            if path is not None and not _PATH.match(path):
                raise InvalidInputError(f"{what} must start with '/' and hold no spaces: {path!r}")
        if not _METHOD.match(self.method):
            raise InvalidInputError(f"bad HTTP method {self.method!r} (e.g. POST, GET, PUT)")
        if not _CONTENT_TYPE.match(self.content_type):
            raise InvalidInputError(f"bad content type {self.content_type!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "scorePath": self.score_path,
            "healthPath": self.health_path,
            "method": self.method,
            "contentType": self.content_type,
        }


@dataclass(frozen=True)
class ServerCommand:
    """A server servesize starts: ``argv`` (``{port}`` is substituted), run in ``cwd``.

    ``kind`` names what it serves for the details (``serverCommand``, ``mlflow``).
    """

    argv: tuple[str, ...]
    endpoint: Endpoint = field(default_factory=Endpoint)
    cwd: Path | None = None
    kind: str = "serverCommand"
    environment_variables: dict[str, str] = field(default_factory=dict)
    #: the command as the user wrote it (shown in details and reports)
    text: str | None = None

    def argv_for(self, port: int, values: dict[str, str] | None = None) -> list[str]:
        return [fill(arg, port, values) for arg in self.argv]

    def environment_for(self, port: int, values: dict[str, str] | None = None) -> dict[str, str]:
        """The server's own variables (placeholders filled) and ``PORT``."""
        env = {k: fill(v, port, values) for k, v in self.environment_variables.items()}
        return {**env, "PORT": str(port)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "command": self.text or shlex.join(self.argv),
            "cwd": str(self.cwd) if self.cwd else None,
            **self.endpoint.to_dict(),
        }


@dataclass(frozen=True)
class AttachedUrl:
    """A service already running at ``url`` (the score URL); ``pid`` is its process, if
    the user names it, so its CPU and memory can be sampled."""

    url: str
    pid: int | None = None
    endpoint: Endpoint = field(default_factory=Endpoint)
    kind: str = "url"

    @property
    def base(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "pid": self.pid, **self.endpoint.to_dict()}


def server_command(
    command: str | list[str] | tuple[str, ...],
    *,
    score_path: str = "/score",
    health_path: str | None = None,
    method: str = "POST",
    content_type: str = "application/json",
    cwd: Path | None = None,
    environment_variables: dict[str, str] | None = None,
) -> ServerCommand:
    """Split ``command`` with shlex (never a shell) and check it.

    A string is split as a POSIX shell would split words, without running one: pipes,
    ``&&`` or ``$VAR`` are not interpreted (``PORT`` is in the server's environment).
    """
    if isinstance(command, str):
        try:
            argv = tuple(shlex.split(command))
        except ValueError as exc:
            raise InvalidInputError(f"cannot split the server command: {exc}") from exc
    else:
        argv = tuple(str(a) for a in command)
    if not argv:
        raise InvalidInputError("the server command is empty")
    if cwd is not None and not cwd.is_dir():
        raise InvalidInputError(f"the server command's folder does not exist: {cwd}")
    endpoint = Endpoint(score_path, health_path, method.upper(), content_type)
    return ServerCommand(
        argv,
        endpoint,
        cwd,
        environment_variables=environment_variables or {},
        text=command if isinstance(command, str) else None,
    )


def attached_url(
    url: str,
    *,
    pid: int | None = None,
    allow_remote: bool = False,
    health_path: str | None = None,
    method: str = "POST",
    content_type: str = "application/json",
) -> AttachedUrl:
    """Check a ``--url``: http, a host and port, loopback unless ``allow_remote``."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise InvalidInputError(f"--url must be http://HOST:PORT/PATH, got {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise InvalidInputError(f"bad port in --url {url!r}") from exc
    if not allow_remote and not is_loopback(parts.hostname):
        raise InvalidInputError(
            f"--url host {parts.hostname} is not this machine; profiling another host "
            "sends it load: name it explicitly with --allow-remote"
        )
    if pid is not None and pid <= 0:
        raise InvalidInputError(f"--pid must be a process id, got {pid}")
    score = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    endpoint = Endpoint(score, health_path, method.upper(), content_type)
    return AttachedUrl(url, pid, endpoint)


def fill(text: str, port: int, values: dict[str, str] | None = None) -> str:
    """``text`` with ``{port}`` (and any other placeholder in ``values``) filled in."""
    for key, value in {PORT_PLACEHOLDER: str(port), **(values or {})}.items():
        text = text.replace(key, value)
    return text


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
