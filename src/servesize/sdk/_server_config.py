"""``ServerConfig``: profile any model server (a command) or a running one (a URL).

Accepted wherever an :class:`InferenceConfig` is::

    config = ServerConfig(command="uvicorn app:app --port {port}", score_path="/predict",
                          health_path="/health")
    profile = Model.profile(ws, "fastapi-1", [], config, dataset, cpu=1, memory_in_gb=1)

servesize picks a free port, puts it where ``{port}`` stands (and in ``PORT``), splits
the command with shlex (no shell), starts it in the profile's cgroup and waits for
``health_path`` (or, without one, for the port to accept connections).
``ServerConfig(url="http://127.0.0.1:8000/score", pid=1234)`` profiles a service that
already runs: latency and throughput, and CPU and memory only when ``pid`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError
from servesize.profiling import AttachedUrl, ServerCommand, attached_url, server_command
from servesize.sdk._environment import Environment

__all__ = ["ServerConfig"]


class ServerConfig:
    """What to serve when it is not an entry script; see the module docstring."""

    def __init__(
        self,
        command: str | list[str] | None = None,
        score_path: str = "/score",
        health_path: str | None = None,
        method: str = "POST",
        content_type: str = "application/json",
        *,
        url: str | None = None,
        pid: int | None = None,
        allow_remote: bool = False,
        cwd: str | Path | None = None,
        environment: Environment | str | None = None,
    ) -> None:
        if (command is None) == (url is None):
            raise InvalidInputError("ServerConfig needs exactly one of command= and url=")
        if pid is not None and url is None:
            raise InvalidInputError("pid= names a running service's process: give it with url=")
        self.command = command
        self.url = url
        self.environment = environment
        self.spec: ServerCommand | AttachedUrl
        if command is not None:
            variables = (
                environment.environment_variables if isinstance(environment, Environment) else {}
            )
            self.spec = server_command(
                command,
                score_path=score_path,
                health_path=health_path,
                method=method,
                content_type=content_type,
                cwd=Path(cwd).resolve() if cwd is not None else None,
                environment_variables=dict(variables),
            )
        else:
            assert url is not None
            self.spec = attached_url(
                url,
                pid=pid,
                allow_remote=allow_remote,
                health_path=health_path,
                method=method,
                content_type=content_type,
            )

    def serialize(self) -> dict[str, Any]:
        return self.spec.to_dict()

    def __repr__(self) -> str:
        what = f"command={self.command!r}" if self.command is not None else f"url={self.url!r}"
        return f"ServerConfig({what}, endpoint={self.spec.endpoint!r})"
