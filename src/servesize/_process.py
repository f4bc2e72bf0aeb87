"""Process helpers shared by the layers that start children (profiling, environments)."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["ctrl_c_held", "parent_death_signal", "spawn"]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def parent_death_signal() -> Callable[[], None] | None:
    """A preexec step that has the kernel SIGKILL the child if the thread that started
    it dies (a process killed with SIGKILL cannot run its teardown); Linux only."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    # resolved here: the forked child only makes the call
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@contextlib.contextmanager
def ctrl_c_held() -> Iterator[Callable[[], None] | None]:
    """Hold a Ctrl-C (SIGINT) back while a child is forked; yield the child's preexec step.

    A ``preexec_fn`` makes ``subprocess`` run the interpreter's at-fork handlers, and a
    KeyboardInterrupt raised inside one of them (logging's) is printed as "Exception
    ignored" and lost: measured, a build interrupted as uv was started waited on for
    ever in 2 of 5 tries on a busy machine. With SIGINT blocked in this thread during
    the fork it stays pending and is raised when the block ends, after the child
    exists (the caller then kills it); the child gets its parent-death signal and the
    caller's mask back before it executes. POSIX only; elsewhere nothing is held.
    """
    death = parent_death_signal()
    if not hasattr(signal, "pthread_sigmask"):
        yield death
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def child() -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        if death is not None:
            death()

    try:
        yield child
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def spawn(
    args: Sequence[str], *, steps: Sequence[Callable[[], None]] = (), **popen: Any
) -> subprocess.Popen[Any]:
    """``subprocess.Popen(args, **popen)`` for a child that dies with us, with a Ctrl-C
    during the fork held back (:func:`ctrl_c_held`): ``steps`` run in the child first
    (joining a cgroup, CPU affinity), then its parent-death signal and signal mask. A
    Ctrl-C raised once the child exists kills and reaps it before it goes on up; what
    ``Popen`` itself raises (``OSError``, a failed step's ``SubprocessError``) is
    raised as it is, with no child to kill."""
    child: subprocess.Popen[Any] | None = None
    try:
        with ctrl_c_held() as held:
            chain = [*steps, *([held] if held is not None else [])]
            child = subprocess.Popen(
                list(args), preexec_fn=_chain(chain) if chain else None, **popen
            )
    except BaseException:
        if child is not None:
            child.kill()
            child.wait()
        raise
    return child


def _chain(steps: Sequence[Callable[[], None]]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()

    return run
