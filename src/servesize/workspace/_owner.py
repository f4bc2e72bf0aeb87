"""Who runs a profile, and whether that process is still there.

A profile records the process that runs it (``{"pid", "createTime"}``).  When that
process is gone — killed with SIGKILL, the machine restarted — nothing will ever
move the profile out of ``Running``, so readers of the store notice it and mark the
profile ``Failed`` with ``interrupted``.  The start time is compared as well as the
pid: pids are reused, and a reused pid must not keep a dead run "Running".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psutil

__all__ = ["INTERRUPTED", "owner_alive", "this_process"]

#: The error type stored in the details of an interrupted profile.
INTERRUPTED = "Interrupted"

# psutil derives the start time from the boot time and the start tick (10 ms steps),
# so the same process reads the same value to well under this tolerance, while a
# reused pid would need the kernel to wrap its pid space within it.
_START_TOLERANCE_S = 0.5


def this_process() -> dict[str, Any]:
    """The record of the current process: ``{"pid": ..., "createTime": ...}``."""
    me = psutil.Process()
    return {"pid": me.pid, "createTime": me.create_time()}


def owner_alive(runner: Mapping[str, Any]) -> bool:
    """Whether the process recorded in ``runner`` still runs (same pid, same start)."""
    try:
        proc = psutil.Process(int(runner["pid"]))
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(proc.create_time() - float(runner["createTime"])) < _START_TOLERANCE_S
    except (psutil.Error, KeyError, ValueError, TypeError):
        return False
