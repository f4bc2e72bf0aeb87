"""A parent that launches tree.py under limits, reports what it made, then waits for a
readiness that never comes, so a SIGINT lands in the middle of wait_ready()."""

import json
import signal
import sys
import time
from pathlib import Path

from servesize.profiling import launch

# the test's Ctrl-C must reach this parent however the suite was started: a shell's
# background job starts with SIGINT ignored, and Python keeps it so (as cli/_app.py undoes)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
signal.signal(signal.SIGINT, signal.default_int_handler)

here = Path(__file__).parent
work = Path(sys.argv[1])
use_cgroups = sys.argv[2] == "cgroups"
pidfile = work / "pids"
with launch(
    [sys.executable, str(here / "tree.py"), str(pidfile)],
    env={},
    cwd=work,
    log_path=work / "service.log",
    cpu=0.5 if use_cgroups else None,
    memory_bytes=(256 << 20) if use_cgroups else None,
    cgroups=use_cgroups,
) as service:
    deadline = time.monotonic() + 20
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    dirs = [str(d) for d in service.cgroup.dirs] if service.cgroup else []
    pids = [int(p) for p in pidfile.read_text().split()]
    print(json.dumps({"pids": pids, "dirs": dirs}), flush=True)
    service.wait_ready("http://127.0.0.1:9/", timeout=120)
