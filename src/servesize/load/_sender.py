"""How the sending thread runs an open loop: at real-time priority, the collector paused.

The sender sleeps until a request is due (see ``_timer``).  When another process runs on
its CPU, Linux's fair scheduler (EEVDF) does not always let the woken sender preempt it:
traced with ``perf sched timehist``, the sender then waits out the other task's slice,
up to a scheduler tick (4 ms here), and every request due meanwhile goes out late.  A
``SCHED_FIFO`` thread preempts any fair-class task the moment it wakes, so the sender
runs at its lowest real-time priority (1) while it sends, then returns to its policy.

It needs ``CAP_SYS_NICE`` or an ``RLIMIT_RTPRIO`` of 1 or more, and, where the kernel
groups real-time time by cgroup (cgroup v1's ``cpu.rt_runtime_us``), a cgroup with a
real-time budget: containers' cgroups often have none, and then even root is refused.
Refused, the sender takes nice -10 where it may (``CAP_SYS_NICE`` alone suffices): a
heavier fair-class weight wins the CPU back sooner.  Measured in a v1 cgroup without a
real-time budget, under pytest with coverage (the CI's way), ten light profiles at
30/s a run: at normal priority 4 of 6 runs had a profile judged INVALID for 3.6-14%
late sends; at nice -10, 2 of 2 runs all VALID, 9 late sends in 20 profiles.  Without
either (or with ``SERVESIZE_LOAD_REALTIME=0``) the run goes on at normal priority and
says so.  It is not
taken where real-time throttling is off (``sched_rt_runtime_us`` = -1): a sender that
fell behind and ran flat out could then hold its CPU entirely.  With throttling on (the
kernel's default, 95%), the fair-class tasks of that CPU keep at least 5% of it, and a
sender that keeps its schedule uses a fraction of a core (docs/loadtest.md).  Children
forked meanwhile do not inherit it (``SCHED_RESET_ON_FORK``).

The cyclic garbage collector is paused while sending: a full collection of the process
took 15-100 ms, a middle one about 1 ms, each a stall of every send due meanwhile, and
the sender makes almost no cyclic garbage (513 objects over 5,000 requests, measured
with the collector off).  It runs again, as it was, when the run ends.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["realtime", "sending"]

_RT_RUNTIME = Path("/proc/sys/kernel/sched_rt_runtime_us")
_PRIORITY = 1
_NICE = -10


def _throttled() -> bool:
    """Whether the kernel caps real-time tasks' share of a CPU (the default)."""
    try:
        return int(_RT_RUNTIME.read_text()) >= 0
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def realtime() -> Iterator[bool]:
    """Run the calling thread under ``SCHED_FIFO`` for the block; yields whether it could."""
    wanted = os.environ.get("SERVESIZE_LOAD_REALTIME", "1") != "0"
    if not (wanted and hasattr(os, "sched_setscheduler") and _throttled()):
        yield False
        return
    # pid 0 is the calling thread on Linux: the caller's other threads are left alone
    policy, priority = os.sched_getscheduler(0), os.sched_getparam(0).sched_priority
    try:
        fifo = os.SCHED_FIFO | os.SCHED_RESET_ON_FORK
        os.sched_setscheduler(0, fifo, os.sched_param(_PRIORITY))
    except OSError:  # EPERM without the capability or a real-time limit
        granted = False
    else:
        granted = True
    niced = None if granted else _raise_weight()
    try:
        yield granted
    finally:
        if granted:
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, policy, os.sched_param(priority))
        if niced is not None:  # raising one's nice value back needs no privilege
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, 0, niced)


def _raise_weight() -> int | None:
    """Without real-time priority, a heavier fair-class weight for the thread (nice -10,
    about 9x a nice-0 task's, where ``CAP_SYS_NICE`` allows it): not -20, so a sender
    that falls behind and runs flat out leaves the other tasks of its CPU (the profile's
    sampler) about a tenth of it.  The nice value to return to, or None if unchanged."""
    try:
        before = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, _NICE)
    except (OSError, AttributeError):
        return None
    return before


@contextlib.contextmanager
def sending(open_loop: bool) -> Iterator[bool]:
    """For an open loop, :func:`realtime` with the collector paused; yields whether the
    thread got real-time priority (a closed loop has no schedule to keep: nothing)."""
    if not open_loop:
        yield False
        return
    collecting = gc.isenabled()
    gc.disable()
    try:
        with realtime() as granted:
            yield granted
    finally:
        if collecting:
            gc.enable()
