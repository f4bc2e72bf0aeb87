"""Wall time of the whole suite as CI runs it (``make test``), and of its pytest runs.

Removes what a clean checkout does not have but a worktree keeps (bytecode, the lint
and test caches, coverage data), keeps ``.venv`` and ``.venv-azml`` (their install is
not the suite), runs the command from the repository's root and appends one row to
bench/RESULTS-suite.md: the wall time, each pytest summary line, the exit code, the
load average before and after and the CPU model. The suite needs the machine to itself
(its second part measures): run it when nothing else runs.

    .venv/bin/python bench/suite.py --label after
    .venv/bin/python bench/suite.py --label before -- make test

``--clone`` runs the command (then ``.ci/run`` by default) in a fresh clone of HEAD
instead, environments and all, as CI does; ``--no-rt`` runs it in a cgroup v1 without
a real-time budget, where the load generator is refused real-time priority, as on CI
(docs/development.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _common import BENCH, ROOT, append_results, busy, cpu_model, machine, uptime

RESULTS = BENCH / "RESULTS-suite.md"
HEADER = """# The suite's wall time (`make test`)

Appended by `bench/suite.py` (command, load average before and after, CPU model). Each
row is one run of the command in a worktree whose `.venv` and `.venv-azml` exist, after
removing the bytecode and the lint and test caches a clean checkout does not have.
"""
#: pytest's last line: "3 failed, 1203 passed, 1 skipped in 1098.37s (0:18:18)"
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed).* in [0-9.]+s.*?)\s*=*$")
CACHES = (".mypy_cache", ".pytest_cache", ".ruff_cache")


def clean() -> None:
    """What a fresh clone lacks: bytecode of src/ and tests/, caches, coverage data."""
    for top in ("src", "tests", "bench", "examples"):
        for cache in (ROOT / top).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
    for name in CACHES:
        shutil.rmtree(ROOT / name, ignore_errors=True)
    for data in ROOT.glob(".coverage*"):
        data.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="what was measured (before, after, ...)")
    parser.add_argument("--log", type=Path, help="also write the command's output here")
    parser.add_argument("--clone", action="store_true", help="run in a fresh clone of HEAD")
    parser.add_argument("--no-rt", action="store_true", help="in a cgroup without real-time budget")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args()
    command = args.command or (["./.ci/run"] if args.clone else ["make", "test"])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="servesize-suite-") as scratch:
        where = ROOT
        if args.clone:
            where = Path(scratch) / "checkout"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(where)], check=True)
        else:
            clean()
        cgroup = _no_rt_cgroup() if args.no_rt else None
        before = uptime()
        started = time.monotonic()
        try:
            proc = subprocess.run(
                command,
                cwd=where,
                capture_output=True,
                text=True,
                check=False,
                preexec_fn=(lambda: _join(cgroup)) if cgroup else None,
            )
        finally:
            if cgroup is not None:
                cgroup.rmdir()
        wall = time.monotonic() - started
    after = uptime()
    output = proc.stdout + proc.stderr
    if args.log:
        args.log.write_text(output, encoding="utf-8")
    runs = [m.group(1) for line in output.splitlines() if (m := SUMMARY.match(line))]
    where_note = (" in a fresh clone" if args.clone else "") + (", no RT" if args.no_rt else "")
    row = (
        f"| {args.label} | {commit} | `{' '.join(command)}`{where_note} | {wall:.0f} s "
        f"| {'; '.join(runs) or 'no pytest summary'} | {proc.returncode} "
        f"| {before.split('load average:')[-1].strip()} ({busy(before)}) "
        f"| {after.split('load average:')[-1].strip()} | {cpu_model()} |\n"
    )
    if not RESULTS.exists():
        append_results(
            RESULTS,
            f"\n{machine()}.\n\n| label | commit | command | wall | pytest runs | exit "
            "| load average before | after | CPU model |\n"
            "|---|---|---|---:|---|---:|---|---|---|\n",
            HEADER,
        )
    append_results(RESULTS, row, HEADER)
    print(row, end="")


def _no_rt_cgroup() -> Path:
    """A new cgroup v1 cpu group: it gets no real-time budget (cpu.rt_runtime_us 0)."""
    group = Path("/sys/fs/cgroup/cpu") / f"servesize-suite-{os.getpid()}"
    if not group.parent.is_dir():
        raise SystemExit("--no-rt needs the cgroup v1 cpu controller at /sys/fs/cgroup/cpu")
    group.mkdir()
    return group


def _join(group: Path) -> None:
    (group / "cgroup.procs").write_text(str(os.getpid()))


if __name__ == "__main__":
    main()
