"""The per-node core bookkeeping: disjoint grants, waiting, withdrawal, dead holders."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import psutil
import pytest

from servesize.sweeps._cores import CoreAllocator, CorePool, Holder, cores_needed

ME = Holder(os.getpid(), psutil.Process().create_time())


def test_cores_needed_is_service_plus_generator() -> None:
    assert cores_needed(0.5, 8) == 2
    assert cores_needed(1.0, 8) == 2
    assert cores_needed(2.5, 8) == 4
    assert cores_needed(None, 8) == 8  # no limit: the whole node
    assert cores_needed(3.0, 1) == 1  # one core: shared, and the plan says so


def test_grants_are_disjoint_until_released() -> None:
    pool = CorePool(range(4))
    first = pool.try_grant("a", 2, ME)
    second = pool.try_grant("b", 2, ME)
    assert first == (2, 3)  # the highest-numbered first
    assert second == (0, 1)
    assert pool.try_grant("c", 1, ME) is None
    assert pool.try_grant("a", 2, ME) == first  # asking again is idempotent
    assert pool.release("a")
    assert not pool.release("a")
    assert pool.try_grant("c", 1, ME) == (3,)
    assert pool.held() == {"b": (0, 1), "c": (3,)}


def test_more_cores_than_the_node_has_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 3 cores; this node has 2"):
        CorePool([0, 1]).try_grant("a", 3, ME)


def test_a_dead_holder_gives_its_cores_back() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    dead = Holder(child.pid, psutil.Process(child.pid).create_time())
    child.wait()
    pool = CorePool([0, 1])
    assert pool.try_grant("dead", 2, dead) == (0, 1)
    assert pool.try_grant("alive", 2, ME) is None
    assert pool.reclaim() == ["dead"]
    assert pool.try_grant("alive", 2, ME) == (0, 1)


def test_allocator_makes_a_request_wait_for_a_release() -> None:
    async def scenario() -> list[str]:
        allocator = CoreAllocator()
        size = allocator.size()
        order: list[str] = []
        first = await allocator.acquire("a", size, ME.pid, ME.create_time)
        order.append("a granted")

        async def second() -> None:
            got = await allocator.acquire("b", size, ME.pid, ME.create_time)
            assert sorted(got) == sorted(first)
            order.append("b granted")

        waiter = asyncio.create_task(second())
        await asyncio.sleep(0)  # let it start waiting
        assert not waiter.done()
        order.append("a released")
        await allocator.release("a")
        await asyncio.wait_for(waiter, 5)
        assert allocator.held() == {"b": sorted(first)}
        return order

    assert asyncio.run(scenario()) == ["a granted", "a released", "b granted"]


def test_a_withdrawn_request_gets_nothing() -> None:
    async def scenario() -> list[int]:
        allocator = CoreAllocator()
        await allocator.acquire("a", allocator.size(), ME.pid, ME.create_time)
        waiter = asyncio.create_task(
            allocator.acquire("b", allocator.size(), ME.pid, ME.create_time)
        )
        await asyncio.sleep(0)
        await allocator.release("b")  # the trial was cancelled while it waited
        got = await asyncio.wait_for(waiter, 5)
        await allocator.release("a")
        assert allocator.held() == {}
        return got

    assert asyncio.run(scenario()) == []
