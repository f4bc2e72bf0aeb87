"""Process helpers shared by the layers that start children (profiling, environments)."""

from __future__ import annotations

import ctypes
import signal
import sys
from collections.abc import Callable

__all__ = ["parent_death_signal"]

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
