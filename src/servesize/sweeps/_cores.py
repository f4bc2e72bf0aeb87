"""Disjoint core sets per node: what Ray's ``num_cpus`` bookkeeping does not give.

A trial needs its service's cores (``ceil(cpu)``, at least 1) plus one core for the
load generator, all its own: two trials on one core would disturb each other's
latency and CPU figures.  :class:`CorePool` is the bookkeeping of one node (plain
Python, tested alone); :class:`CoreAllocator` wraps it as a Ray actor placed on that
node, where a trial that cannot get its cores waits until another trial releases
them.  A holder is a process on the node; a holder that died (a killed Ray worker)
gives its cores back on the next request, so a crash cannot lock a node's cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

__all__ = ["CoreAllocator", "CorePool", "Holder", "cores_needed", "holder_alive"]

#: How often a waiting request looks again for holders that died without releasing.
_RECLAIM_SECONDS = 1.0


def cores_needed(cpu: float | None, pool_size: int) -> int:
    """Service cores plus one generator core; no ``cpu`` limit takes the whole node.

    One-core nodes cannot split, so the trial gets that core and the profile's plan
    records that the service and the generator shared it.
    """
    if pool_size <= 1:
        return pool_size
    if cpu is None:
        return pool_size
    return max(1, math.ceil(cpu)) + 1


@dataclass(frozen=True)
class Holder:
    """The process holding a grant: its pid and start time (pids are reused)."""

    pid: int
    create_time: float


def holder_alive(holder: Holder) -> bool:
    try:
        return abs(psutil.Process(holder.pid).create_time() - holder.create_time) < 1.0
    except psutil.Error:
        return False


class CorePool:
    """Which cores of one node are free, and who holds the others."""

    def __init__(self, cores: Iterable[int]) -> None:
        self.cores = tuple(sorted(set(cores)))
        self._grants: dict[str, tuple[tuple[int, ...], Holder]] = {}

    def free(self) -> tuple[int, ...]:
        held = {c for cores, _ in self._grants.values() for c in cores}
        return tuple(c for c in self.cores if c not in held)

    def try_grant(self, token: str, count: int, holder: Holder) -> tuple[int, ...] | None:
        """``count`` free cores for ``token``, or None when too few are free now."""
        if not 0 < count <= len(self.cores):
            raise ValueError(f"a trial needs {count} cores; this node has {len(self.cores)}")
        if token in self._grants:
            return self._grants[token][0]
        free = self.free()
        if len(free) < count:
            return None
        # the highest-numbered cores first: CPU 0 usually serves more interrupts
        granted = free[-count:]
        self._grants[token] = (granted, holder)
        return granted

    def release(self, token: str) -> bool:
        return self._grants.pop(token, None) is not None

    def reclaim(self, alive: Callable[[Holder], bool] = holder_alive) -> list[str]:
        """Drop the grants of holders that died; return their tokens."""
        dead = [token for token, (_, holder) in self._grants.items() if not alive(holder)]
        for token in dead:
            del self._grants[token]
        return dead

    def held(self) -> dict[str, tuple[int, ...]]:
        return {token: cores for token, (cores, _) in self._grants.items()}


class CoreAllocator:
    """The per-node Ray actor (async: waiting requests do not block releases).

    Its pool is the cores the actor's own process may use on that node.
    """

    def __init__(self) -> None:
        self._pool = CorePool(os.sched_getaffinity(0))
        self._changed = asyncio.Condition()
        self._withdrawn: set[str] = set()

    def size(self) -> int:
        return len(self._pool.cores)

    async def acquire(self, token: str, count: int, pid: int, create_time: float) -> list[int]:
        """Wait for ``count`` cores; ``[]`` when the request was withdrawn meanwhile."""
        holder = Holder(pid, create_time)
        async with self._changed:
            while True:
                if token in self._withdrawn:
                    self._withdrawn.discard(token)
                    return []
                if self._pool.reclaim():
                    self._changed.notify_all()
                granted = self._pool.try_grant(token, count, holder)
                if granted is not None:
                    return list(granted)
                # woken by a release, or after a while to reclaim dead holders
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), _RECLAIM_SECONDS)

    async def release(self, token: str) -> None:
        """Give the cores back, or withdraw a request still waiting."""
        async with self._changed:
            if not self._pool.release(token):
                self._withdrawn.add(token)
            self._changed.notify_all()

    def held(self) -> dict[str, list[int]]:
        return {token: list(cores) for token, cores in self._pool.held().items()}
