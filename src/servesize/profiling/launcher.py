"""Start the scoring service under limits, wait for it, measure it, and end it.

``launch(argv, *, env, cwd, log_path, cpu=None, memory_bytes=None, cpus=None,
cgroups=True, support=None) -> Service`` starts ``argv`` in its own process group
(its own session, so a terminal's Ctrl-C reaches only us and we decide the teardown),
with stdout and stderr appended to ``log_path``, inside a new cgroup when the machine
allows (it joins the cgroup before it execs, so user code never runs unlimited).
Without cgroups it runs unlimited, ``limits_enforced`` is False, ``limits_note``
says why, and accounting falls back to psutil over the process tree.

>>> import sys
>>> with launch([sys.executable, "-m", "http.server", "0"], env={}, cwd=Path("."),
...             log_path=Path("service.log"), cpu=0.5) as service:  # doctest: +SKIP
...     print(service.limits_note, service.cpu_seconds())
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from servesize._process import spawn
from servesize.errors import LimitsError, ServiceError
from servesize.profiling._cgroup_detect import CgroupSupport, detect
from servesize.profiling._cpuset import format_cpu_list
from servesize.profiling._running import Service
from servesize.profiling.limits import Cgroup
from servesize.profiling.settings import check_limit_values

__all__ = ["Service", "launch"]

_UNLIMITED = "ran unlimited, measured with psutil"


def launch(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    cpu: float | None = None,
    memory_bytes: int | None = None,
    cpus: tuple[int, ...] | None = None,
    cgroups: bool = True,
    support: CgroupSupport | None = None,
) -> Service:
    """Start the service; see the module docstring. Raises ``ServiceError`` when it
    cannot be started at all (missing executable, bad ``cwd``)."""
    if not argv:
        raise ServiceError("no command to launch")
    check_limit_values(cpu, memory_bytes)
    cgroup, enforced, note = _make_cgroup(cgroups, support, cpu, memory_bytes, cpus)
    joins: list[Callable[[], None]] = [cgroup.preexec()] if cgroup else []
    if cpus and (cgroup is None or "cpuset" not in cgroup.support.controllers):
        affinity = frozenset(cpus)  # built here: the forked child only calls the syscall
        joins.append(lambda: os.sched_setaffinity(0, affinity))
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # a Ctrl-C during the fork is held and raised after it, with the child killed
        # (_process.spawn); the child dies with a profiler killed outright (its workers
        # follow)
        with log_path.open("ab") as log:
            spawned_at = time.monotonic()
            popen: subprocess.Popen[bytes] = spawn(
                argv,
                steps=joins,
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
    except subprocess.SubprocessError as exc:
        _discard(cgroup)
        raise LimitsError(f"the service could not join its cgroup or CPUs: {exc}") from exc
    except OSError as exc:
        _discard(cgroup)
        raise ServiceError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
    except BaseException:
        _discard(cgroup)  # Ctrl-C mid-spawn: the cgroup removal kills anything it started
        raise
    return Service(
        popen,
        spawned_at=spawned_at,
        log_path=log_path,
        cgroup=cgroup,
        limits_enforced=enforced,
        limits_note=note,
        memory_limit=memory_bytes if cgroup and "memory" in cgroup.support.controllers else None,
    )


def _make_cgroup(
    wanted: bool,
    support: CgroupSupport | None,
    cpu: float | None,
    memory_bytes: int | None,
    cpus: tuple[int, ...] | None,
) -> tuple[Cgroup | None, bool, str]:
    """The cgroup (or None), whether every asked limit is enforced, and the note."""
    if not wanted:
        return None, False, f"cgroups disabled; {_UNLIMITED}"
    support = support or detect()
    if not support.available:
        return None, False, f"{support.reason}; {_UNLIMITED}"
    usable = support.controllers
    cg_cpu = cpu if "cpu" in usable else None
    cg_memory = memory_bytes if "memory" in usable else None
    cg_cpus = cpus if cpus and "cpuset" in usable else None
    try:
        cgroup = Cgroup.create(support, cpu=cg_cpu, memory_bytes=cg_memory, cpus=cg_cpus)
    except LimitsError as exc:
        return None, False, f"{exc}; {_UNLIMITED}"
    how = [f"cgroup {support.version}"]
    missing: list[str] = []
    if cpu is not None:
        (how if cg_cpu is not None else missing).append(f"cpu quota {cpu:g} cores")
    if memory_bytes is not None:
        (how if cg_memory is not None else missing).append(
            f"memory limit {memory_bytes / 2**30:.2f} GiB"
        )
    if cpus:
        kind = "cpuset" if cg_cpus else "affinity"
        how.append(f"CPUs {format_cpu_list(cpus)} ({kind})")
    note = how[0] + (": " + ", ".join(how[1:]) if len(how) > 1 else ": accounting only")
    if missing:
        note += f"; not enforced: {', '.join(missing)} ({support.reason})"
    return cgroup, not missing, note


def _discard(cgroup: Cgroup | None) -> None:
    if cgroup is not None:
        # The original error matters more; remove() already killed what it could.
        with contextlib.suppress(LimitsError):
            cgroup.remove()
