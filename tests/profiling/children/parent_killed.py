"""A parent that launches tree.py without cgroups, reports the pids, then waits to be
SIGKILLed (so it can run no teardown at all)."""

import json
import sys
import time
from pathlib import Path

from servesize.profiling import launch

here = Path(__file__).parent
work = Path(sys.argv[1])
pidfile = work / "pids"
service = launch(
    [sys.executable, str(here / "tree.py"), str(pidfile)],
    env={},
    cwd=work,
    log_path=work / "service.log",
    cgroups=False,
)
deadline = time.monotonic() + 20
while not pidfile.exists() and time.monotonic() < deadline:
    time.sleep(0.02)
print(json.dumps({"pids": [int(p) for p in pidfile.read_text().split()]}), flush=True)
time.sleep(120)
