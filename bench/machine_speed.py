"""How steady the machine's CPU is: the same pure-Python work, timed once a second.

    .venv/bin/python bench/machine_speed.py [--seconds 120]

Each sample is the CPU time (``time.process_time``) of one fixed loop, so waiting for
the CPU is not in it: what varies is how fast this vCPU runs the same instructions (a
neighbour on the host sharing its core or cache, a frequency change). Appends to
bench/RESULTS-repeat.md the median, p10, p90 and maximum, the share of samples more than
10% slower than the median, and the longest run of such samples in a row. A profile can
only be as repeatable as this: the bundled example's CPU per request moves with it,
while ``tests/profiling/scripts/burn.py`` burns a fixed CPU time and does not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from _common import BENCH, append_results, cpu_model, machine, run_heading, uptime

RESULTS = BENCH / "RESULTS-repeat.md"


def probe(iterations: int = 3_000_000) -> float:
    """CPU milliseconds of one fixed loop."""
    start = time.process_time()
    total = 0
    for i in range(iterations):
        total += i * i
    return (time.process_time() - start) * 1000.0


def sample(seconds: float) -> list[float]:
    """One probe a second for ``seconds``."""
    out: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(probe())
        time.sleep(1.0)  # pacing between samples, not synchronisation
    return out


def summary(samples: list[float]) -> dict[str, float]:
    median = statistics.median(samples)
    slow = [s > 1.10 * median for s in samples]
    longest = run = 0
    for flag in slow:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    deciles = statistics.quantiles(samples, n=10) if len(samples) >= 2 else [median] * 9
    return {
        "samples": len(samples),
        "median": median,
        "p10": deciles[0],
        "p90": deciles[-1],
        "max": max(samples),
        "slowShare": sum(slow) / len(samples),
        "longestSlowRun": longest,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    before = uptime()
    s = summary(sample(args.seconds))
    text = "\n".join(
        [
            run_heading(),
            f"{machine()}; {cpu_model()}.\n",
            f"`uptime` before: `{before}`; after: `{uptime()}`.\n",
            f"Command: `.venv/bin/python bench/machine_speed.py --seconds {args.seconds:g}`.\n",
            f"Machine speed: {s['samples']} samples of one fixed loop, CPU ms: median "
            f"{s['median']:.1f}, p10 {s['p10']:.1f}, p90 {s['p90']:.1f}, max {s['max']:.1f}; "
            f"{s['slowShare']:.0%} of samples more than 10% slower than the median, at most "
            f"{s['longestSlowRun']} in a row.\n",
        ]
    )
    append_results(RESULTS, text, "# Repeatability: the same profile, several times\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
