"""Benchmark: how long ``read_trace`` takes on a one-hour trace of 100,000 arrivals.

    .venv/bin/python bench/trace_read.py [--arrivals 100000] [--rounds 5]

Writes the same Poisson arrivals (an hour, seeded) in each format ``read_trace``
accepts, into a temporary folder: seconds a line; a CSV shaped like Azure's LLM traces
(``TIMESTAMP`` with 7 fractional digits, two more columns); ISO 8601 with a zone (the
line-by-line path); per-minute counts.  Each is read ``--rounds`` times; the best and
the median wall time are appended to ``bench/RESULTS-trace.md`` with the load average.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import BENCH, append_table, uptime

from servesize.load import read_trace

RESULTS = BENCH / "RESULTS-trace.md"


def _files(folder: Path, n: int) -> dict[str, Path]:
    seconds = np.sort(np.random.default_rng(20).uniform(0, 3600, n))
    start = np.datetime64("2023-11-16T18:00:00", "ns")
    stamps = np.datetime_as_string(start + (seconds * 1e9).astype("timedelta64[ns]"))
    out = {
        "seconds a line": folder / "seconds.txt",
        "CSV, TIMESTAMP with 7 digits": folder / "azure.csv",
        "ISO 8601 with a zone": folder / "zoned.txt",
        "per-minute counts": folder / "counts.csv",
    }
    out["seconds a line"].write_text("\n".join(f"{s:.6f}" for s in seconds) + "\n")
    rows = (f"{t[:10]} {t[11:27]},100,20" for t in stamps)  # 2023-11-16 18:00:00.1234567
    out["CSV, TIMESTAMP with 7 digits"].write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n" + "\n".join(rows) + "\n"
    )
    out["ISO 8601 with a zone"].write_text("\n".join(f"{t}Z" for t in stamps) + "\n")
    counts = np.bincount((seconds // 60).astype(int), minlength=60)
    out["per-minute counts"].write_text(
        "start,count\n" + "\n".join(f"{60 * k},{c}" for k, c in enumerate(counts)) + "\n"
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arrivals", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load = uptime()
    rows = []
    with tempfile.TemporaryDirectory() as name:
        for label, path in _files(Path(name), args.arrivals).items():
            times = []
            for _ in range(args.rounds):
                began = time.perf_counter()
                trace = read_trace(path)
                times.append(time.perf_counter() - began)
            assert len(trace) == args.arrivals, (label, len(trace))
            rows.append(
                (label, f"{len(trace):,}", f"{min(times):.3f}", f"{statistics.median(times):.3f}")
            )
    command = f"`{shlex.join(['.venv/bin/python', 'bench/trace_read.py', *sys.argv[1:]])}`"
    cpu = next(x for x in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in x)
    if not RESULTS.exists():
        RESULTS.write_text("# Reading traffic traces (`servesize.load.read_trace`)\n")
    text = append_table(
        RESULTS,
        f"read_trace on a one-hour trace ({cpu.split(':', 1)[1].strip()})",
        load,
        command,
        ("format", "arrivals", "best s", "median s"),
        rows,
    )
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
