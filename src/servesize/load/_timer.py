"""A one-shot wake-up at an absolute monotonic time in nanoseconds, on the event loop.

The loop's own timers (``call_at``) have millisecond resolution under uvloop (libuv
keeps time in ms), too coarse for a pacer that must send within well under 1 ms of
its schedule.  Busy-polling the loop for the last millisecond fixes the resolution
but burns the core, and on a core shared with another busy process the scheduler
preempts the poller for milliseconds at a time.  On Linux a ``timerfd`` armed with
an absolute ``CLOCK_MONOTONIC`` deadline (the clock of ``time.monotonic_ns``) wakes
the loop's ``epoll_wait`` at the deadline with the kernel's high-resolution timers,
and a task that slept wins the core back from a busy one at once.  Elsewhere
:class:`LoopTimer` sleeps on ``call_at`` and polls the loop for the last stretch.

Both call ``callback`` once per ``at()`` (a later ``at()`` replaces an earlier one),
never before the deadline, on the loop's thread; after ``close()``, ``at()`` does
nothing (a late callback of a finished run must not raise).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import sys
from collections.abc import Callable
from time import monotonic_ns

__all__ = ["LoopTimer", "Timer", "TimerFd", "make_timer"]

_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK = os.O_NONBLOCK
_TFD_CLOEXEC = os.O_CLOEXEC
_TFD_TIMER_ABSTIME = 1
#: The loop timer's margin: libuv rounds timeouts to whole milliseconds.
_POLL_NS = 1_200_000


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class Timer:
    """The interface: ``at(deadline_ns)`` arms (re-arms) the one-shot; ``close()``."""

    kind = "abstract"

    def at(self, deadline_ns: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class TimerFd(Timer):
    """A Linux ``timerfd`` registered as a reader on ``loop`` (raises ``OSError`` if none)."""

    kind = "timerfd"

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        # the interpreter's own symbols include libc's (find_library would run ldconfig)
        libc = ctypes.CDLL(None, use_errno=True)
        self._settime = libc.timerfd_settime
        self._settime.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(_Itimerspec),
            ctypes.c_void_p,
        ]
        self._settime.restype = ctypes.c_int
        fd = libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timerfd_create: {os.strerror(err)}")
        self._fd: int = fd
        self._loop = loop
        self._callback = callback
        # one spec, mutated in place: arming allocates nothing but two small ints
        self._spec = _Itimerspec()
        self._value = self._spec.it_value
        self._ref = ctypes.byref(self._spec)
        loop.add_reader(fd, self._fired)

    def at(self, deadline_ns: int) -> None:
        if self._fd < 0:
            return
        # a past (or zero) deadline would disarm the timer: fire at once instead
        deadline_ns = max(deadline_ns, 1)
        self._value.tv_sec, self._value.tv_nsec = divmod(deadline_ns, 1_000_000_000)
        if self._settime(self._fd, _TFD_TIMER_ABSTIME, self._ref, None) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timerfd_settime: {os.strerror(err)}")

    def _fired(self) -> None:
        try:  # consume the expiry so the fd stops being readable until re-armed
            os.read(self._fd, 8)
        except BlockingIOError:  # re-armed since it became readable: not due yet
            return
        self._callback()

    def close(self) -> None:
        if self._fd >= 0:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = -1


class LoopTimer(Timer):
    """The portable fallback: ``call_at`` to ~1.2 ms before, then poll the loop."""

    kind = "loop"

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._deadline = 0
        self._handle: asyncio.Handle | None = None
        self._closed = False

    def at(self, deadline_ns: int) -> None:
        if self._closed:
            return
        self._deadline = deadline_ns
        if self._handle is not None:
            self._handle.cancel()
        self._schedule()

    def _schedule(self) -> None:
        wait = self._deadline - monotonic_ns()
        if wait > _POLL_NS:
            self._handle = self._loop.call_later((wait - _POLL_NS) / 1e9, self._check)
        else:
            self._handle = self._loop.call_soon(self._check)

    def _check(self) -> None:
        if monotonic_ns() < self._deadline:
            self._schedule()
            return
        self._handle = None
        self._callback()

    def close(self) -> None:
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def make_timer(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Timer:
    """A :class:`TimerFd` on Linux, else (or if it cannot be made) a :class:`LoopTimer`."""
    if sys.platform.startswith("linux") and os.environ.get("SERVESIZE_LOAD_TIMER") != "loop":
        try:
            return TimerFd(loop, callback)
        except (OSError, AttributeError, NotImplementedError):
            pass
    return LoopTimer(loop, callback)
