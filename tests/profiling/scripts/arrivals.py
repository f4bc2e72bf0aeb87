"""Records when each request arrives (``time.monotonic()``, a line each, in
``$ARRIVALS_FILE.<pid>``: one file per service process), then sleeps SLEEP_MS."""

import os
import time

SLEEP_S = float(os.environ.get("SLEEP_MS", "20")) / 1000.0


def init():
    pass


def run(raw_data):
    with open(f"{os.environ['ARRIVALS_FILE']}.{os.getpid()}", "a") as out:
        out.write(f"{time.monotonic()}\n")
    time.sleep(SLEEP_S)
    return {"ok": True}
