"""Find out which cgroup hierarchy this process may create child cgroups in.

Everything is parsed from a root directory and a ``/proc/self/cgroup`` file passed
in, so tests can hand it a fake tree.  Our cgroups are always made *under this
process's own cgroup* in each hierarchy: that is the part of the tree we are
delegated (a container, a systemd scope, a sandbox's memory cgroup), and a memory
limit set elsewhere might not be enforced on us at all.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["CgroupSupport", "detect"]

# A v1 hierarchy is recognised by the files its controller adds to every cgroup,
# which also covers co-mounted hierarchies such as ``cpu,cpuacct``.
_V1_MARKERS = {
    "cpu": "cpu.cfs_quota_us",
    "cpuacct": "cpuacct.usage",
    "memory": "memory.limit_in_bytes",
    "cpuset": "cpuset.cpus",
}
_V2_CONTROLLERS = ("cpu", "memory", "cpuset")


@dataclass(frozen=True)
class CgroupSupport:
    """What :func:`detect` found.

    ``version`` is ``"v2"``, ``"v1"`` or ``None`` (no usable hierarchy);
    ``reason`` is a sentence saying what is available or why nothing is;
    ``controllers`` holds the usable ones among ``cpu`` (quota), ``cpuacct`` (CPU
    time accounting; always there on v2), ``memory`` and ``cpuset``;
    ``parents`` maps each usable controller to the directory our cgroups are
    created in (one shared directory on v2, one per hierarchy on v1).
    """

    version: Literal["v2", "v1"] | None
    reason: str
    controllers: frozenset[str] = frozenset()
    parents: Mapping[str, Path] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.version is not None


def detect(
    root: Path = Path("/sys/fs/cgroup"),
    proc_self_cgroup: Path = Path("/proc/self/cgroup"),
) -> CgroupSupport:
    """Inspect ``root`` and say which cgroup version and controllers we can use.

    On v2 this enables missing ``cpu``/``memory``/``cpuset`` controllers in our own
    cgroup's ``cgroup.subtree_control`` when the kernel allows it (it refuses when our
    cgroup holds processes and is not the root: the "no internal processes" rule).
    """
    own = _own_paths(proc_self_cgroup)
    if not root.is_dir():
        return CgroupSupport(None, f"no writable cgroup hierarchy ({root} does not exist)")
    v2_base = root if (root / "cgroup.controllers").is_file() else root / "unified"
    has_v2 = (v2_base / "cgroup.controllers").is_file()
    v2 = _detect_v2(v2_base, own.get("", "/")) if has_v2 else None
    v1 = None if v2_base == root else _detect_v1(root, own)
    candidates = [c for c in (v2, v1) if c is not None and c.controllers & {"cpu", "memory"}]
    if not candidates:
        notes = "; ".join(c.reason for c in (v2, v1) if c is not None)
        why = notes or f"no cgroup controllers under {root}"
        return CgroupSupport(None, f"no writable cgroup hierarchy ({why})")
    # Prefer the hierarchy that can enforce both limits; v2 wins a tie.
    best = max(candidates, key=lambda c: ({"cpu", "memory"} <= c.controllers, c.version == "v2"))
    if best.version == "v1" and v2 is not None:
        hybrid = f" (hybrid: the v2 hierarchy at {v2_base} has no usable cpu or memory controller)"
        best = CgroupSupport(best.version, best.reason + hybrid, best.controllers, best.parents)
    return best


def _own_paths(proc_self_cgroup: Path) -> dict[str, str]:
    """Controller name -> our cgroup path; the v2 line is under the key ``""``."""
    paths: dict[str, str] = {}
    try:
        text = proc_self_cgroup.read_text()
    except OSError:
        return paths
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, names, path = parts
        if not names:
            paths[""] = path
        for name in names.split(","):
            if name:
                paths[name] = path
    return paths


def _under(base: Path, own: str) -> Path:
    # In a cgroup namespace (containers) our path may not exist below the mount
    # point because the mount already is our cgroup: fall back to the mount point.
    candidate = base / own.lstrip("/")
    return candidate if candidate.is_dir() else base


def _writable(directory: Path) -> bool:
    # access(2) reports EROFS for read-only mounts even for root.
    return (directory / "cgroup.procs").is_file() and os.access(directory, os.W_OK)


def _detect_v1(root: Path, own: Mapping[str, str]) -> CgroupSupport:
    parents: dict[str, Path] = {}
    read_only: list[str] = []
    seen: set[Path] = set()
    for entry in sorted(root.iterdir()):
        if entry.name == "unified" or not entry.is_dir() or entry.resolve() in seen:
            continue
        seen.add(entry.resolve())
        for controller, marker in _V1_MARKERS.items():
            if controller in parents or not (entry / marker).is_file():
                continue
            parent = _under(entry, own.get(controller, "/"))
            if _writable(parent):
                parents[controller] = parent
            else:
                read_only.append(f"{parent} is not writable")
    if not parents:
        why = "; ".join(read_only) or f"no cpu or memory v1 hierarchy under {root}"
        return CgroupSupport(None, why)
    names = ", ".join(sorted(parents))
    return CgroupSupport("v1", f"cgroup v1 at {root}: {names}", frozenset(parents), parents)


def _detect_v2(base: Path, own: str) -> CgroupSupport:
    parent = _under(base, own)
    if not _writable(parent):
        return CgroupSupport(None, f"{parent} is not writable")
    available = set(_read_words(parent / "cgroup.controllers"))
    enabled = set(_read_words(parent / "cgroup.subtree_control"))
    problems: list[str] = []
    for controller in _V2_CONTROLLERS:
        if controller in enabled:
            continue
        if controller not in available:
            problems.append(f"no {controller} controller in {parent}")
            continue
        try:
            (parent / "cgroup.subtree_control").write_text(f"+{controller}")
            enabled.add(controller)
        except OSError as exc:
            rule = (
                " (our cgroup holds processes: the v2 no-internal-processes rule)"
                if exc.errno == errno.EBUSY
                else f" ({exc.strerror})"
            )
            problems.append(f"cannot enable {controller} in {parent}/cgroup.subtree_control{rule}")
    usable = (enabled & set(_V2_CONTROLLERS)) | {"cpuacct"}
    parents = dict.fromkeys(usable, parent)
    names = ", ".join(sorted(usable - {"cpuacct"})) or "CPU accounting only"
    reason = f"cgroup v2 at {parent}: {names}" + "".join(f"; {p}" for p in problems)
    return CgroupSupport("v2", reason, frozenset(usable), parents)


def _read_words(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []
