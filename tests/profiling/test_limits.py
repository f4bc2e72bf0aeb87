"""cgroup detection on fake trees (v2, v1, hybrid, none), the cgroup files' parsing,
CPU planning, and real cgroups on this machine (marked ``cgroups``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from servesize.errors import InvalidInputError, InvalidNameError, LimitsError
from servesize.profiling import Cgroup, CgroupSupport, detect, plan_cpus
from servesize.profiling._cgroup_fs import Throttling, keyed_value
from servesize.profiling._cgroup_v1 import V1Backend
from servesize.profiling._cgroup_v2 import V2Backend
from servesize.profiling._cpuset import format_cpu_list, parse_cpu_list
from servesize.profiling.limits import start_ticks

V1_FILES = {
    "cpu": ["cpu.cfs_quota_us", "cpu.cfs_period_us"],
    "cpuacct": ["cpuacct.usage"],
    "memory": ["memory.limit_in_bytes", "memory.usage_in_bytes"],
    "cpuset": ["cpuset.cpus", "cpuset.mems"],
}


def touch(directory: Path, *names: str, text: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text(text)


def fake_v1(root: Path, own: dict[str, str], comount: bool = False) -> None:
    for controller, files in V1_FILES.items():
        mount = "cpu,cpuacct" if comount and controller in ("cpu", "cpuacct") else controller
        for directory in {root / mount, root / mount / own.get(controller, "/").lstrip("/")}:
            touch(directory, "cgroup.procs", *files)
    if comount:
        (root / "cpu").symlink_to("cpu,cpuacct")
        (root / "cpuacct").symlink_to("cpu,cpuacct")


def fake_v2(base: Path, own: str, controllers: str, enabled: str) -> Path:
    mine = base / own.lstrip("/")
    for directory in (base, mine):
        touch(directory, "cgroup.procs", "cpu.stat")
        (directory / "cgroup.controllers").write_text(controllers + "\n")
        (directory / "cgroup.subtree_control").write_text(enabled + "\n")
    return mine


def proc_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proc-self-cgroup"
    path.write_text(text)
    return path


# -- detection on fake trees ---------------------------------------------------------


def test_pure_v2_uses_own_cgroup_and_enables_controllers(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    mine = fake_v2(root, "/user.slice/app.scope", "cpuset cpu io memory pids", "cpu")
    support = detect(root, proc_file(tmp_path, "0::/user.slice/app.scope\n"))
    assert support.version == "v2"
    assert support.controllers == {"cpu", "cpuacct", "memory", "cpuset"}
    assert set(support.parents.values()) == {mine}
    # memory and cpuset were missing from subtree_control: detect() asked for them.
    assert (mine / "cgroup.subtree_control").read_text() in ("+memory", "+cpuset")
    assert str(mine) in support.reason


def test_v2_without_enableable_controllers_says_why(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    mine = fake_v2(root, "/job", "cpu memory", "")
    # A directory cannot be written to: stands in for the kernel refusing the write.
    (mine / "cgroup.subtree_control").unlink()
    (mine / "cgroup.subtree_control").mkdir()
    support = detect(root, proc_file(tmp_path, "0::/job\n"))
    assert support.version is None
    assert support.reason.startswith("no writable cgroup hierarchy (")
    assert "cannot enable cpu" in support.reason
    assert "no cpuset controller" in support.reason


def test_v1_creates_under_own_paths_per_hierarchy(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    own = {"memory": "/process_api/abc", "cpu": "/", "cpuacct": "/", "cpuset": "/"}
    fake_v1(root, own)
    text = "4:memory:/process_api/abc\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n"
    support = detect(root, proc_file(tmp_path, text))
    assert support.version == "v1"
    assert support.controllers == {"cpu", "cpuacct", "memory", "cpuset"}
    assert support.parents["memory"] == root / "memory" / "process_api" / "abc"
    assert support.parents["cpu"] == root / "cpu"


def test_v1_comounted_cpu_cpuacct_and_namespaced_paths(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    fake_v1(root, {}, comount=True)
    # Inside a cgroup namespace /proc/self/cgroup names paths the mount does not show.
    text = "3:memory:/docker/f00\n2:cpu,cpuacct:/docker/f00\n1:cpuset:/docker/f00\n"
    support = detect(root, proc_file(tmp_path, text))
    assert support.version == "v1"
    assert support.parents["cpu"].resolve() == (root / "cpu,cpuacct").resolve()
    assert support.parents["cpuacct"].resolve() == (root / "cpu,cpuacct").resolve()
    assert support.parents["memory"] == root / "memory"


def test_hybrid_prefers_v1_when_unified_has_no_cpu_or_memory(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    fake_v1(root, {})
    fake_v2(root / "unified", "/", "hugetlb", "")
    support = detect(root, proc_file(tmp_path, "1:cpu:/\n0::/\n"))
    assert support.version == "v1"
    assert "hybrid" in support.reason
    assert str(root / "unified") in support.reason


def test_hybrid_prefers_v2_when_it_has_both_controllers(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    touch(root / "memory", "cgroup.procs", *V1_FILES["memory"])
    fake_v2(root / "unified", "/", "cpu memory", "cpu memory")
    support = detect(root, proc_file(tmp_path, "0::/\n"))
    assert support.version == "v2"
    assert {"cpu", "memory"} <= support.controllers


@pytest.mark.parametrize("make", ["missing", "empty", "no-controllers"])
def test_no_cgroups(tmp_path: Path, make: str) -> None:
    root = tmp_path / "cg"
    if make != "missing":
        root.mkdir()
    if make == "no-controllers":
        touch(root / "pids", "cgroup.procs", "pids.max")
    support = detect(root, proc_file(tmp_path, "0::/\n"))
    assert support.version is None
    assert not support.available
    assert support.reason.startswith("no writable cgroup hierarchy (")


# -- parsing the accounting files ----------------------------------------------------


def test_keyed_value_matches_whole_keys_only() -> None:
    stat = b"inactive_file 10\ntotal_inactive_file 4096\nfile 7\n"
    assert keyed_value(stat, b"total_inactive_file") == 4096
    assert keyed_value(stat, b"inactive_file") == 10
    assert keyed_value(stat, b"file") == 7
    assert keyed_value(stat, b"missing") is None
    assert keyed_value(None, b"file") is None


def test_v2_accounting_files(tmp_path: Path) -> None:
    backend = V2Backend(tmp_path, "servesize-1-abcd", frozenset({"cpu", "cpuacct", "memory"}))
    group = tmp_path / "servesize-1-abcd"
    group.mkdir()
    (group / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    (group / "memory.current").write_text("104857600\n")
    (group / "memory.stat").write_text("anon 90000000\ninactive_file 4857600\n")
    (group / "memory.peak").write_text("209715200\n")
    (group / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    for name in ("cpu.max", "memory.max", "memory.swap.max"):
        (group / name).write_text("")
    assert backend.cpu_seconds() == 2.5
    assert backend.memory_bytes() == 100_000_000
    assert backend.peak_memory_bytes() == 200 << 20
    assert backend.oom_kills() == 1
    assert backend.hit_memory_limit()
    backend.apply(cpu=1.5, memory_bytes=1 << 30)
    assert (group / "cpu.max").read_text() == "150000 100000"
    assert (group / "memory.max").read_text() == str(1 << 30)
    assert (group / "memory.swap.max").read_text() == "0"
    backend.apply(cpu=None, memory_bytes=None)
    assert (group / "cpu.max").read_text() == "max 100000"
    assert (group / "memory.swap.max").read_text() == "max"
    backend.close()


def test_v1_accounting_files(tmp_path: Path) -> None:
    parents = {c: tmp_path / c for c in ("cpu", "cpuacct", "memory")}
    backend = V1Backend(parents, "servesize-1-abcd", with_cpuset=False)
    memory = parents["memory"] / "servesize-1-abcd"
    touch(parents["cpuacct"] / "servesize-1-abcd", "x")
    (parents["cpuacct"] / "servesize-1-abcd" / "cpuacct.usage").write_text("1500000000\n")
    touch(memory, "x")
    (memory / "memory.usage_in_bytes").write_text("300\n")
    (memory / "memory.stat").write_text("inactive_file 1\ntotal_inactive_file 100\n")
    (memory / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    (memory / "memory.failcnt").write_text("0\n")
    assert backend.cpu_seconds() == 1.5
    assert backend.memory_bytes() == 200
    assert backend.oom_kills() == 2
    assert not backend.hit_memory_limit()
    assert backend.peak_memory_bytes() is None  # no max_usage_in_bytes file
    backend.close()


def test_failing_setup_raises_limits_error_and_leaves_nothing(tmp_path: Path) -> None:
    # A fake tree has no kernel to create the control files, so setting limits fails.
    root = tmp_path / "cg"
    mine = fake_v2(root, "/", "cpu memory", "cpu memory")
    support = detect(root, proc_file(tmp_path, "0::/\n"))
    with pytest.raises(LimitsError, match=r"cannot set up cgroup limits \(.*cpu\.max"):
        Cgroup.create(support, cpu=1.0)
    assert not [p for p in mine.iterdir() if p.name.startswith("servesize-")]


def test_unusable_controller_or_bad_values_are_refused() -> None:
    nothing = CgroupSupport(None, "no writable cgroup hierarchy (test)")
    with pytest.raises(LimitsError, match="test"):
        Cgroup.create(nothing, cpu=1.0)
    memory_only = CgroupSupport("v1", "memory only", frozenset({"memory"}), {})
    with pytest.raises(LimitsError, match="no usable cpu controller"):
        Cgroup.create(memory_only, cpu=1.0)
    with pytest.raises(InvalidInputError):
        Cgroup.create(memory_only, cpu=0)
    with pytest.raises(InvalidNameError):
        Cgroup.create(memory_only, name="../../etc")


# -- CPU planning ----------------------------------------------------------------------


def test_plan_cpus_splits_service_and_generator() -> None:
    plan = plan_cpus(0.5, available={0, 1})
    assert (plan.service, plan.generator, plan.shared) == ((1,), (0,), False)
    assert plan_cpus(2.5, available=range(8)).service == (5, 6, 7)
    # Never the generator's last CPU, whatever the request.
    assert plan_cpus(16, available={0, 1, 2, 3}).generator == (0,)
    assert plan_cpus(None, available={0, 1, 2, 3}).service == (1, 2, 3)


def test_plan_cpus_on_one_cpu_shares_and_says_so() -> None:
    plan = plan_cpus(2, available={3})
    assert plan.shared
    assert plan.service == plan.generator == (3,)
    assert "share" in plan.note
    with pytest.raises(InvalidInputError):
        plan_cpus(-1, available={0, 1})


def test_cpu_lists_round_trip() -> None:
    assert format_cpu_list((5, 0, 1, 2)) == "0-2,5"
    assert parse_cpu_list("0-2,5\n") == (0, 1, 2, 5)
    assert parse_cpu_list("\n") == ()


# -- real cgroups on this machine ------------------------------------------------------


@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_real_cgroup_limits_and_removal() -> None:
    support = detect()
    cgroup = Cgroup.create(support, cpu=0.5, memory_bytes=128 << 20)
    try:
        assert cgroup.dirs
        assert all(d.is_dir() for d in cgroup.dirs)
        assert all(d.name == cgroup.name for d in cgroup.dirs)
        assert cgroup.cpu_seconds() == 0
        assert cgroup.memory_bytes() == 0
        assert cgroup.oom_kills() == 0
        assert cgroup.pids() == []
        cgroup.set_limits(cpu=0.25, memory_bytes=64 << 20)
        if support.version == "v1":
            cpu_dir = support.parents["cpu"] / cgroup.name
            assert (cpu_dir / "cpu.cfs_quota_us").read_text().strip() == "25000"
            memory_dir = support.parents["memory"] / cgroup.name
            assert int((memory_dir / "memory.limit_in_bytes").read_text()) == 64 << 20
        else:
            assert (cgroup.dirs[0] / "cpu.max").read_text().split() == ["25000", "100000"]
    finally:
        cgroup.remove()
    assert not any(d.exists() for d in cgroup.dirs)
    cgroup.remove()  # idempotent
    assert cgroup.cpu_seconds() is None


def test_v2_throttling_pressure_and_threads_on_a_fake_tree(tmp_path: Path) -> None:
    # the machine's v2 hierarchy has no controllers, so v2 is read from a fake tree
    backend = V2Backend(tmp_path, "servesize-1-s2-abcd", frozenset({"cpu", "cpuacct"}))
    group = tmp_path / "servesize-1-s2-abcd"
    group.mkdir()
    stat = "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
    (group / "cpu.stat").write_text(stat)
    assert backend.throttling() is None  # no nr_periods: the cpu controller is off
    (group / "cpu.stat").write_text(
        stat + "nr_periods 200\nnr_throttled 50\nthrottled_usec 1250000\nnr_bursts 0\n"
    )
    assert backend.throttling() == Throttling(periods=200, throttled=50, seconds=1.25)
    assert backend.pressure_seconds() is None  # no PSI in this kernel
    (group / "cpu.pressure").write_text(
        "some avg10=1.00 avg60=0.50 avg300=0.10 total=340000\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=120000\n"
    )
    assert backend.pressure_seconds() == 0.34
    (group / "cgroup.threads").write_text("101\n102\n205\n")
    assert backend.threads() == [101, 102, 205]
    backend.close()


def test_v1_throttling_is_in_nanoseconds(tmp_path: Path) -> None:
    parents = {c: tmp_path / c for c in ("cpu", "cpuacct")}
    backend = V1Backend(parents, "servesize-1-abcd", with_cpuset=False)
    touch(parents["cpu"] / "servesize-1-abcd", "x")
    (parents["cpu"] / "servesize-1-abcd" / "cpu.stat").write_text(
        "nr_periods 30\nnr_throttled 27\nthrottled_time 2400000000\nnr_bursts 0\nburst_time 0\n"
    )
    throttling = backend.throttling()
    assert throttling is not None
    assert (throttling.periods, throttling.throttled) == (30, 27)
    assert throttling.seconds == pytest.approx(2.4)
    backend.close()


@pytest.mark.cgroups
@pytest.mark.usefixtures("cgroup_only", "no_own_cgroups")
def test_the_next_cgroup_sweeps_dead_owners_only() -> None:
    support = detect()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    me = os.getpid()
    parents = {p.resolve() for p in support.parents.values()}  # co-mounted: one directory
    alive = Cgroup.create(support)  # ours, live: kept
    assert alive.name.startswith(f"servesize-{me}-s{start_ticks(me)}-")
    # each creation sweeps first, so the stale ones are made after the live one
    dead = Cgroup.create(support, name=f"servesize-{gone.pid}-s{start_ticks(me)}-abcd01")
    # a dead owner's service may still run inside: it is killed with its cgroup
    orphan = subprocess.Popen(["sleep", "60"], preexec_fn=dead.preexec())
    reused = [p / f"servesize-{me}-s{(start_ticks(me) or 0) + 1}-abcd02" for p in parents]
    foreign = [p / "someone-else-1" for p in parents]
    for directory in (*reused, *foreign):
        directory.mkdir()
    try:
        latest = Cgroup.create(support)
        assert orphan.wait(timeout=10) == -9
        assert not any(d.exists() for d in dead.dirs)
        assert not any(d.exists() for d in reused)
        assert all(d.exists() for d in (*alive.dirs, *foreign))
        latest.remove()
    finally:
        for cgroup in (alive, dead):
            cgroup.remove()
        for directory in (*reused, *foreign):
            if directory.exists():
                directory.rmdir()
