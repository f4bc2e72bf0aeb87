"""The scoring timeout, done the way azmlinfsrv does it: SIGALRM in the worker's main thread.

azmlinfsrv arms ``ITIMER_REAL`` around ``run()``; the handler raises ``TimeoutError``
inside the user's code, which interrupts sleeps and Python loops (not long C calls), and
the request gets 500 "Scoring timeout after <ms> ms".  The handler is installed once
and only raises while armed, so a stray alarm can never hit the event loop.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["ScoringTimer"]


class ScoringTimer:
    """Arm/disarm a one-shot alarm around ``run()`` (main thread only)."""

    def __init__(self, timeout_ms: int) -> None:
        self.timeout_ms = timeout_ms
        self._seconds = timeout_ms / 1000
        self._armed = False
        self.enabled = threading.current_thread() is threading.main_thread()
        if self.enabled:
            signal.signal(signal.SIGALRM, self._on_alarm)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self._armed:
            self._armed = False
            raise TimeoutError

    def arm(self) -> None:
        if self.enabled:
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self._seconds)

    def disarm(self) -> None:
        if self.enabled:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
