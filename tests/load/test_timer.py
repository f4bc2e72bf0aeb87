"""The pacer's wake-up timer: fires once per ``at()``, never before the deadline."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from time import monotonic_ns

import pytest

from servesize.load._share import loop_factory
from servesize.load._timer import LoopTimer, Timer, TimerFd, make_timer

Factory = Callable[[asyncio.AbstractEventLoop, Callable[[], None]], Timer]
KINDS: list[Factory] = [LoopTimer]
if sys.platform.startswith("linux"):
    KINDS.append(TimerFd)


async def fire_times(factory: Factory, deadlines: list[int]) -> list[int]:
    """Arm the timer for each deadline in turn (on the previous firing) and time the firings."""
    loop = asyncio.get_running_loop()
    fired: list[int] = []
    done = loop.create_future()

    def on_fire() -> None:
        fired.append(monotonic_ns())
        if len(fired) < len(deadlines):
            timer.at(deadlines[len(fired)])
        else:
            loop.call_later(0.05, done.set_result, None)  # room for a stray extra firing

    timer = factory(loop, on_fire)
    try:
        timer.at(deadlines[0])
        async with asyncio.timeout(30):
            await done
    finally:
        timer.close()
        timer.close()  # idempotent
    return fired


@pytest.mark.parametrize("factory", KINDS, ids=lambda f: f.__name__)
def test_fires_once_per_deadline_and_never_early(factory: Factory) -> None:
    start = monotonic_ns()
    # spread over sub-millisecond and multi-millisecond gaps, plus one already past
    deadlines = [start - 1_000_000] + [start + 2_000_000 + k * 700_000 for k in range(20)]
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        fired = runner.run(fire_times(factory, deadlines))
    assert len(fired) == len(deadlines)  # exactly one firing each, none extra
    for deadline, when in zip(deadlines, fired, strict=True):
        assert when >= deadline
        assert when - max(deadline, start) < 1_000_000_000  # generous sanity bound


@pytest.mark.parametrize("factory", KINDS, ids=lambda f: f.__name__)
def test_rearming_replaces_the_deadline(factory: Factory) -> None:
    async def scenario() -> list[int]:
        loop = asyncio.get_running_loop()
        fired: list[int] = []
        timer = factory(loop, lambda: fired.append(monotonic_ns()))
        try:
            far = monotonic_ns() + 60_000_000_000
            timer.at(far)
            near = monotonic_ns() + 5_000_000
            timer.at(near)  # replaces the far one
            deadline = monotonic_ns() + 10_000_000_000
            while not fired and monotonic_ns() < deadline:
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.05)  # a second firing would show up here
            assert fired
            assert fired[0] >= near
        finally:
            timer.close()
        return fired

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        assert len(runner.run(scenario())) == 1


@pytest.mark.parametrize("factory", KINDS, ids=lambda f: f.__name__)
def test_arming_after_close_does_nothing(factory: Factory) -> None:
    async def scenario() -> list[int]:
        fired: list[int] = []
        timer = factory(asyncio.get_running_loop(), lambda: fired.append(1))
        timer.close()
        timer.at(monotonic_ns())  # a finished run's stray tick: no error, no firing
        await asyncio.sleep(0.05)
        return fired

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        assert runner.run(scenario()) == []


def made_kind() -> str:
    """The kind of timer ``make_timer`` makes here and now."""

    async def kind() -> str:
        timer = make_timer(asyncio.get_running_loop(), lambda: None)
        timer.close()
        return timer.kind

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(kind())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux-only")
def test_make_timer_prefers_timerfd_on_linux() -> None:
    assert made_kind() == "timerfd"


def test_environment_selects_the_loop_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVESIZE_LOAD_TIMER", "loop")

    assert made_kind() == "loop"
