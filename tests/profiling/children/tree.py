"""A stubborn tree: ignores SIGTERM, with two grandchildren that ignore it too and one
that left the process group (setsid). Writes all pids to argv[1] once started."""

import os
import signal
import subprocess
import sys
import time

STUBBORN = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "while True: time.sleep(60)\n"
)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
kids = [subprocess.Popen([sys.executable, "-c", STUBBORN]) for _ in range(2)]
kids.append(subprocess.Popen([sys.executable, "-c", STUBBORN], start_new_session=True))
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as handle:
    handle.write(" ".join(str(p) for p in [os.getpid(), *(k.pid for k in kids)]))
os.replace(tmp, sys.argv[1])
while True:
    time.sleep(60)
