"""The sending thread's set-up: real-time priority taken and given back, the collector
paused for open loops only (see load/_sender.py)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from servesize.load import _sender
from servesize.load._sender import realtime, sending


def policy() -> tuple[int, int]:
    return os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK, os.sched_getparam(0).sched_priority


def test_realtime_is_taken_where_allowed_and_always_given_back() -> None:
    before = policy()
    with realtime() as granted:
        inside = policy()
    # as root (or with CAP_SYS_NICE / RLIMIT_RTPRIO) it is granted; elsewhere refused
    # cleanly: either way the thread says which, and gets its own policy back
    assert (inside == (os.SCHED_FIFO, 1)) is granted
    assert policy() == before


def test_the_environment_refuses_realtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVESIZE_LOAD_REALTIME", "0")
    before = policy()
    with realtime() as granted:
        assert not granted
        assert policy() == before


def test_no_realtime_where_the_kernel_does_not_throttle_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    unthrottled = tmp_path / "sched_rt_runtime_us"
    unthrottled.write_text("-1\n")
    monkeypatch.setattr(_sender, "_RT_RUNTIME", unthrottled)
    with realtime() as granted:
        assert not granted


def test_the_collector_pauses_for_an_open_loop_only() -> None:
    assert gc.isenabled()
    with sending(open_loop=False) as granted:
        assert gc.isenabled()
        assert not granted
    with sending(open_loop=True):
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        with sending(open_loop=True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
