"""cgroup v1: one directory per hierarchy (cpu, cpuacct, memory, cpuset)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from servesize.profiling._cgroup_fs import (
    CFS_PERIOD_US,
    Accounting,
    Backend,
    quota_us,
    write_value,
)
from servesize.profiling._cpuset import format_cpu_list

__all__ = ["V1Backend"]


class V1Backend(Backend):
    def __init__(self, parents: Mapping[str, Path], name: str, with_cpuset: bool) -> None:
        self._dir = {
            controller: parent / name
            for controller, parent in parents.items()
            if controller != "cpuset" or with_cpuset
        }
        # Co-mounted hierarchies (cpu,cpuacct) share one directory: create it once.
        self.dirs = tuple(dict.fromkeys(self._dir.values()))
        self.procs_files = tuple(d / "cgroup.procs" for d in self.dirs)
        self._parents = parents
        memory = self._dir.get("memory")
        cpuacct = self._dir.get("cpuacct")
        cpu = self._dir.get("cpu")
        super().__init__(
            Accounting(
                cpu=(cpuacct / "cpuacct.usage", None, 1e-9) if cpuacct else None,
                usage=memory / "memory.usage_in_bytes" if memory else None,
                stat=memory / "memory.stat" if memory else None,
                inactive_key=b"total_inactive_file",  # hierarchical, unlike inactive_file
                peak=memory / "memory.max_usage_in_bytes" if memory else None,
                oom=(memory / "memory.oom_control", b"oom_kill") if memory else None,
                limit_hits=(memory / "memory.failcnt", None) if memory else None,
                throttle=(cpu / "cpu.stat", b"throttled_time", 1e-9) if cpu else None,
                threads=self.dirs[0] / "tasks" if self.dirs else None,
            )
        )

    def create(self, cpus: tuple[int, ...] | None) -> None:
        for directory in self.dirs:
            directory.mkdir()
        cpuset = self._dir.get("cpuset")
        if cpuset is not None:
            # A v1 cpuset starts empty and refuses tasks until cpus and mems are set.
            parent = self._parents["cpuset"]
            write_value(cpuset / "cpuset.mems", (parent / "cpuset.mems").read_text().strip())
            wanted = format_cpu_list(cpus) if cpus else (parent / "cpuset.cpus").read_text()
            write_value(cpuset / "cpuset.cpus", wanted.strip())

    def apply(self, cpu: float | None, memory_bytes: int | None) -> None:
        cpu_dir = self._dir.get("cpu")
        if cpu_dir is not None:
            write_value(cpu_dir / "cpu.cfs_period_us", str(CFS_PERIOD_US))
            write_value(cpu_dir / "cpu.cfs_quota_us", "-1" if cpu is None else str(quota_us(cpu)))
        memory = self._dir.get("memory")
        if memory is not None:
            memsw = memory / "memory.memsw.limit_in_bytes"
            has_memsw = memsw.exists()
            limit = "-1" if memory_bytes is None else str(memory_bytes)
            # memsw must stay >= the memory limit at every step: lift it, set the
            # limit, then cap memory+swap at the same value so swap cannot hide use.
            if has_memsw:
                write_value(memsw, "-1")
            write_value(memory / "memory.limit_in_bytes", limit)
            if has_memsw:
                write_value(memsw, limit)
