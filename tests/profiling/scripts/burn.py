"""Ground truth: each request burns BURN_MS of CPU time (process time, not wall time)."""

import json
import os
import time

BURN_S = float(os.environ.get("BURN_MS", "20")) / 1000.0


def init():
    pass


def run(raw_data):
    end = time.process_time() + BURN_S
    x = 0
    while time.process_time() < end:
        x += 1
    return {"ok": True, "n": len(json.loads(raw_data) if raw_data else [])}
