"""The ground truth the sizing is judged against: the share of requests over the
objective's limit at fixed allocations, measured long.

    .venv/bin/python bench/truth_share.py [--cores 0.5,0.6] [--runs 3] [--seconds 60]
                                          [--burn-ms 10] [--rate 40] [--limit-ms 150]
                                          [--slow-share 0.005]

``tests/profiling/scripts/burn.py`` (BURN_MS of CPU a request), or with ``--slow-share``
``slow_share.py`` (that share of requests sleeps 60 ms: bench/decision_oc.py's service,
whose latency should not depend on CPU), is started under each CPU
quota on the service CPU (the profiler's placement: the service on CPU 1, this
generator on CPU 0), and Poisson arrivals at the rate are sent for ``--seconds``, open
loop, ``--runs`` times per allocation, each run in a fresh service.  Appends to
bench/RESULTS-sizing.md, per allocation: the share over the limit with its
Clopper-Pearson 95% interval over all runs, each run's share and p99.  This is what
issue 19's "0.6 or 0.7 cores, never 0.5" rests on: an allocation whose share is above
2% (the decision's `theta_missed` for p99 at the defaults) must be called missed at 95%
confidence, one below 0.5% met; in between the decision may go either way.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _common import (
    BENCH,
    ROOT,
    append_table,
    clopper_pearson,
    cpu_model,
    free_port,
    machine,
    uptime,
)

from servesize.load import LoadSpec, run_load
from servesize.profiling.launcher import launch

SCRIPTS = ROOT / "tests" / "profiling" / "scripts"


def one_run(
    cores: float | None,
    script: str,
    extra: dict[str, str],
    rate: float,
    limit_ms: float,
    seconds: float,
    cpus: tuple[int, ...] | None = (1,),
) -> tuple[int, int, float]:
    """(requests over the limit, requests, p99 ms) of one run in a fresh service, under
    ``cores`` on ``cpus`` (None: unlimited, on every CPU; bench/decision_oc.py's truth)."""
    port = free_port()
    argv = [sys.executable, "-m", "servesize.serving", "--entry-script", str(SCRIPTS / script),
            "--port", str(port)]  # fmt: skip
    env = {**os.environ, **extra, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp, launch(
        argv, env=env, cwd=Path(tmp), log_path=Path(tmp) / "service.log", cpu=cores,
        cpus=cpus, cgroups=cores is not None,
    ) as service:  # fmt: skip
        if cores is not None and not service.limits_enforced:
            raise SystemExit(f"limits not enforced here: {service.limits_note}")
        url = f"http://127.0.0.1:{port}"
        # ready is an answered request: run_load reports a refused connection as an
        # error, it does not raise (the first version counted a service's start-up
        # under 0.1 core as requests over the limit)
        service.wait_ready(url + "/", 60.0)
        spec = LoadSpec(
            url + "/score", [b'{"data": [[1]]}'], rate=rate, duration=seconds,
            threshold_ms=limit_ms, isolated=True,
        )  # fmt: skip
        m = run_load(spec).metrics
    p99 = float(m["latencyPercentile99InMs"])
    return int(m["queriesOverThreshold"]), int(m["totalQueries"]), p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cores", default="0.5,0.6")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--burn-ms", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--limit-ms", type=float, default=150.0)
    parser.add_argument("--slow-share", type=float, help="slow_share.py at this SLOW_SHARE")
    args = parser.parse_args()
    if args.slow_share is not None:
        script, extra = "slow_share.py", {"SLOW_SHARE": f"{args.slow_share:g}"}
        what = f"slow_share.py, SLOW_SHARE={args.slow_share:g}"
    else:
        script, extra = "burn.py", {"BURN_MS": f"{args.burn_ms:g}"}
        what = f"{args.burn_ms:g} ms of CPU a request"
    os.sched_setaffinity(0, {0})  # the generator where a profile puts it
    before = uptime()
    rows = []
    for cores in (float(c) for c in args.cores.split(",")):
        runs = [
            one_run(cores, script, extra, args.rate, args.limit_ms, args.seconds)
            for _ in range(args.runs)
        ]
        over, n = sum(r[0] for r in runs), sum(r[1] for r in runs)
        low, high = clopper_pearson(over, n)
        each = ", ".join(f"{k / m:.2%} (p99 {p:.0f} ms)" for k, m, p in runs)
        share = f"{over / n:.2%}"
        rows.append((f"{cores:g}", f"{over} of {n}", share, f"{low:.2%}-{high:.2%}", each))
        print(rows[-1], flush=True)
    command = ".venv/bin/python bench/truth_share.py " + " ".join(sys.argv[1:])
    text = append_table(
        BENCH / "RESULTS-sizing.md",
        f"The truth at fixed allocations ({what}, {args.rate:g}/s, over {args.limit_ms:g} ms)",
        before,
        f"`{command}`; {machine()}, {cpu_model()}; `uptime` after: {uptime()}",
        ("cores", "over the limit", "share", "95% interval", "each run"),
        rows,
    )  # fmt: skip
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
