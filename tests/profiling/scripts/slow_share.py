"""Ground truth whose latency does not depend on CPU: SLOW_SHARE of the requests sleep
SLOW_MS (default 60 ms), the others answer at once.  With an objective between the two
(p99 <= 50 ms), the share of requests over the limit is about SLOW_SHARE at any
allocation (a little more at high rates, where a request queues behind a slow one)."""

import os
import random
import time

SHARE = float(os.environ.get("SLOW_SHARE", "0.01"))
SLOW_S = float(os.environ.get("SLOW_MS", "60")) / 1000.0


def init():
    pass


def run(raw_data):
    if random.random() < SHARE:
        time.sleep(SLOW_S)
    return {"ok": True}
