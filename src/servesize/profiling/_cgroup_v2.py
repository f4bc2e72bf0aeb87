"""cgroup v2: one directory in the unified hierarchy."""

from __future__ import annotations

from pathlib import Path

from servesize.profiling._cgroup_fs import (
    CFS_PERIOD_US,
    Backend,
    StatFile,
    keyed_value,
    quota_us,
    write_value,
)
from servesize.profiling._cpuset import format_cpu_list

__all__ = ["V2Backend"]


class V2Backend(Backend):
    def __init__(self, parent: Path, name: str, controllers: frozenset[str]) -> None:
        self._path = parent / name
        self._controllers = controllers
        self.dirs = (self._path,)
        self.procs_files = (self._path / "cgroup.procs",)
        self._cpu_stat = StatFile(self._path / "cpu.stat")
        has_memory = "memory" in controllers
        self._current = StatFile(self._path / "memory.current") if has_memory else None
        self._mem_stat = StatFile(self._path / "memory.stat") if has_memory else None
        self._peak = StatFile(self._path / "memory.peak") if has_memory else None
        self._events = StatFile(self._path / "memory.events") if has_memory else None

    def create(self, cpus: tuple[int, ...] | None) -> None:
        self._path.mkdir()
        if cpus and "cpuset" in self._controllers:
            # cpuset.mems left empty means "the parent's", unlike v1.
            write_value(self._path / "cpuset.cpus", format_cpu_list(cpus))

    def apply(self, cpu: float | None, memory_bytes: int | None) -> None:
        if "cpu" in self._controllers:
            quota = "max" if cpu is None else str(quota_us(cpu))
            write_value(self._path / "cpu.max", f"{quota} {CFS_PERIOD_US}")
        if "memory" in self._controllers:
            limit = "max" if memory_bytes is None else str(memory_bytes)
            write_value(self._path / "memory.max", limit)
            swap = self._path / "memory.swap.max"
            if swap.exists():
                # No swap under a limit: swapped-out pages would hide memory use.
                write_value(swap, "max" if memory_bytes is None else "0")

    def cpu_seconds(self) -> float | None:
        usec = keyed_value(self._cpu_stat.read(), b"usage_usec")
        return None if usec is None else usec / 1e6

    def memory_bytes(self) -> int | None:
        if self._current is None or self._mem_stat is None:
            return None
        current = self._current.read_int()
        if current is None:
            return None
        inactive = keyed_value(self._mem_stat.read(), b"inactive_file") or 0
        return max(0, current - inactive)

    def peak_memory_bytes(self) -> int | None:
        return self._peak.read_int() if self._peak else None

    def oom_kills(self) -> int | None:
        return keyed_value(self._events.read(), b"oom_kill") if self._events else None

    def hit_memory_limit(self) -> bool:
        return bool(self._events and (keyed_value(self._events.read(), b"max") or 0) > 0)

    def close(self) -> None:
        for stat in (self._cpu_stat, self._current, self._mem_stat, self._peak, self._events):
            if stat is not None:
                stat.close()
