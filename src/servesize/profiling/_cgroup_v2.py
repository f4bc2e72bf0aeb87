"""cgroup v2: one directory in the unified hierarchy."""

from __future__ import annotations

from pathlib import Path

from servesize.profiling._cgroup_fs import (
    CFS_PERIOD_US,
    Accounting,
    Backend,
    quota_us,
    write_value,
)
from servesize.profiling._cpuset import format_cpu_list

__all__ = ["V2Backend"]


class V2Backend(Backend):
    def __init__(self, parent: Path, name: str, controllers: frozenset[str]) -> None:
        self._path = path = parent / name
        self._controllers = controllers
        self.dirs = (path,)
        self.procs_files = (path / "cgroup.procs",)
        memory = "memory" in controllers
        super().__init__(
            Accounting(
                cpu=(path / "cpu.stat", b"usage_usec", 1e-6),  # there without the controller
                usage=path / "memory.current" if memory else None,
                stat=path / "memory.stat" if memory else None,
                inactive_key=b"inactive_file",
                peak=path / "memory.peak" if memory else None,  # Linux >= 5.19
                oom=(path / "memory.events", b"oom_kill") if memory else None,
                limit_hits=(path / "memory.events", b"max") if memory else None,
                # nr_periods and the throttled time appear with the cpu controller only
                throttle=(path / "cpu.stat", b"throttled_usec", 1e-6),
                pressure=path / "cpu.pressure",  # with PSI in the kernel
                threads=path / "cgroup.threads",
            )
        )

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
