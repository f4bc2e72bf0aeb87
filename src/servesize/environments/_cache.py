"""Built environments cached in the workspace, one folder per specification key.

Layout under ``WORKSPACE/envs``::

    KEY/                 a complete environment (``servesize-env.json`` inside)
    .tmp-KEY-*/          a build in progress, or the remains of a killed one
    .locks/KEY.lock      held while KEY is built: a second profile waits, then reuses
    .uv-cache/           uv's cache, on the same file system so installs are hardlinks
    .host/HASH/          the scoring host's code (see ``_host``)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from servesize.environments._build import METADATA, build_into, interpreter_of
from servesize.environments._host import host_path
from servesize.environments._python import find_python
from servesize.environments._spec import BuildSpec, spec_key
from servesize.errors import CancelledError, EnvironmentBuildError
from servesize.workspace import RunEnvironment

__all__ = ["BuiltEnvironment", "CachedEntry", "EnvironmentCache"]


@dataclass(frozen=True)
class BuiltEnvironment:
    """What a service is launched with: an interpreter and the variables it needs."""

    spec: BuildSpec | None
    python: str
    python_version: str
    packages: tuple[str, ...]
    path: Path | None = None  # None: the current interpreter
    host_path: Path | None = None
    key: str | None = None
    cached: bool | None = None
    build_seconds: float = 0.0
    host_packages: tuple[str, ...] = field(default=())
    replaced: tuple[str, ...] = field(default=())

    def details(self) -> dict[str, Any]:
        """The profile's ``environment`` figure."""
        spec = self.spec
        return {
            "name": spec.name if spec else None,
            "version": spec.version if spec else None,
            "cacheKey": self.key,
            "cached": self.cached,
            "buildSeconds": round(self.build_seconds, 3),
            "pythonVersion": self.python_version,
            "packages": list(self.packages),
            "isolated": self.path is not None,
            "hostRequirements": list(self.host_packages),
            "replacedByHost": list(self.replaced),
        }

    def figure(self) -> RunEnvironment:
        """The same, typed: the profile's ``environment`` figure."""
        return RunEnvironment.from_details(self.details())

    def launch_env(self, base: Mapping[str, str], user: Mapping[str, str]) -> dict[str, str]:
        """The service's variables: ``base`` (ours) then ``user`` (the environment's
        own), adjusted to run in this environment."""
        env = {**base, **user}
        if self.path is None or self.host_path is None:
            return env
        # the host's folder and the user's own entries only: nothing of servesize's
        # environment leaks in
        user_path = user.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.host_path), user_path) if p)
        env.pop("PYTHONHOME", None)
        # Builds skip compiling bytecode (uv's default; compiling scikit-learn's tree
        # costs more than installing it): the first start in the environment writes
        # what it imports, later starts read it. This machine, like many images, sets
        # PYTHONDONTWRITEBYTECODE, which would make every start compile again.
        if "PYTHONDONTWRITEBYTECODE" not in user:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["VIRTUAL_ENV"] = str(self.path)
        env["PATH"] = os.pathsep.join([str(self.path / "bin"), env.get("PATH", "")])
        return env


def current_environment(spec: BuildSpec | None) -> BuiltEnvironment:
    """servesize's own interpreter (no environment, or a user-managed one)."""
    packages = sorted(
        {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()},
        key=str.lower,
    )
    return BuiltEnvironment(
        spec, sys.executable, platform.python_version(), tuple(packages), cached=None
    )


@dataclass(frozen=True)
class CachedEntry:
    key: str
    path: Path
    size_bytes: int
    metadata: dict[str, Any]


class EnvironmentCache:
    def __init__(self, root: Path) -> None:
        # absolute: the service starts in its own working folder, and a relative
        # workspace (``.servesize``) would name an interpreter that is not there
        self.root = Path(root).absolute()

    @property
    def uv_cache(self) -> Path:
        """uv's cache: in the workspace (same file system: hardlinks), or
        ``$SERVESIZE_UV_CACHE_DIR`` (tests share one; keep it on the same file system)."""
        shared = os.environ.get("SERVESIZE_UV_CACHE_DIR")
        return Path(shared) if shared else self.root / ".uv-cache"

    def key(self, spec: BuildSpec) -> tuple[str, str, str]:
        """The key of ``spec``, the interpreter it is built on and its version."""
        python = find_python(spec.python)
        return spec_key(spec.with_host(), python.version), python.path, python.version

    def prepare(
        self, spec: BuildSpec | None, cancelled: Callable[[], bool] | None = None
    ) -> BuiltEnvironment:
        """The environment to run ``spec`` in, built unless cached. ``cancelled`` is
        polled while waiting for another build of the same key and while building."""
        if spec is None or spec.user_managed:
            return current_environment(spec)
        python = find_python(spec.python)
        key = spec_key(spec.with_host(), python.version)
        final = self.root / key
        cached = True
        build_seconds = 0.0
        if not (final / METADATA).is_file():
            with self._lock(key, cancelled=cancelled):
                if not (final / METADATA).is_file():  # not built while we waited
                    self._clean_leftovers(key)
                    started = time.monotonic()
                    build_into(final, spec, python, key, self.uv_cache, cancelled)
                    build_seconds = time.monotonic() - started
                    cached = False
        meta = _read_metadata(final)
        return BuiltEnvironment(
            spec,
            str(interpreter_of(final)),
            str(meta.get("pythonVersion", python.version)),
            tuple(meta.get("packages") or ()),
            path=final,
            host_path=host_path(self.root / ".host"),
            key=key,
            cached=cached,
            build_seconds=build_seconds,
            host_packages=tuple(meta.get("hostRequirements") or ()),
            replaced=tuple(meta.get("replacedByHost") or ()),
        )

    def entries(self) -> list[CachedEntry]:
        """The complete environments, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if path.name.startswith(".") or not (path / METADATA).is_file():
                continue
            found.append(CachedEntry(path.name, path, _size(path), _read_metadata(path)))
        return sorted(found, key=lambda e: str(e.metadata.get("createdTime", "")))

    def remove(self, key: str) -> bool:
        """Remove one environment unless it is being built; False when it was busy."""
        with self._lock(key, wait=False) as held:
            if not held:
                return False
            target = self.root / key
            if target.is_dir():
                # renamed first: a half-removed environment never looks complete
                doomed = self.root / f".tmp-{key}-removing"
                shutil.rmtree(doomed, ignore_errors=True)
                os.rename(target, doomed)
                shutil.rmtree(doomed, ignore_errors=True)
            self._clean_leftovers(key)
            return True

    def leftovers(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob(".tmp-*") if p.is_dir())

    def clean_leftovers(self) -> int:
        """Remove the remains of killed builds whose key is not being built; how many."""
        removed = 0
        for path in self.leftovers():
            key = path.name.split("-")[1]
            with self._lock(key, wait=False) as held:
                if held and path.exists():
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
        return removed

    def _clean_leftovers(self, key: str) -> None:
        for path in self.root.glob(f".tmp-{key}-*"):
            shutil.rmtree(path, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(
        self, key: str, wait: bool = True, cancelled: Callable[[], bool] | None = None
    ) -> Iterator[bool]:
        """Hold ``key``'s build lock (yields False without ``wait`` when it is busy)."""
        locks = self.root / ".locks"
        try:
            locks.mkdir(parents=True, exist_ok=True)
            fd = os.open(locks / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise EnvironmentBuildError(f"cannot lock environment {key}: {exc}") from exc
        try:
            while True:
                try:
                    # without a cancel flag, block (Ctrl-C still interrupts the main thread)
                    blocking = wait and cancelled is None
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    if not wait:
                        yield False
                        return
                    if cancelled is not None and cancelled():
                        raise CancelledError("cancelled while waiting for a build") from None
                    # another process builds this key; a thread's flock cannot be
                    # interrupted, so a cancellable wait polls
                    time.sleep(0.05)
            yield True
        finally:
            os.close(fd)  # closing releases the lock


def _read_metadata(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EnvironmentBuildError(f"environment {path.name} is damaged: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _size(path: Path) -> int:
    """Bytes of the files under ``path`` (a file hardlinked twice counts once)."""
    seen: set[int] = set()
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(root, name))
                if st.st_ino not in seen:
                    seen.add(st.st_ino)
                    total += st.st_size
    return total
