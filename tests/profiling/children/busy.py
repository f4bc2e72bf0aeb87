"""Burn CPU in one thread; on SIGTERM print the CPU time it used ("cpu <seconds>") and exit."""

import signal
import sys
import time


def report(signum: int, frame: object) -> None:
    print(f"cpu {time.process_time():.6f}", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
x = 0
while True:
    x += 1
