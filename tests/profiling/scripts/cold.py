"""Ground truth: a request burns BURN_MS of CPU time when it follows another at once and
up to COLD_EXTRA x that more after an idle gap: ``1 + COLD_EXTRA x (1 - exp(-idle /
COOL_MS))`` times BURN_MS (the idle measured from the end of the previous request)."""

import json
import math
import os
import time

BURN_S = float(os.environ.get("BURN_MS", "4")) / 1000.0
EXTRA = float(os.environ.get("COLD_EXTRA", "0"))
COOL_S = float(os.environ.get("COOL_MS", "30")) / 1000.0
_last_end = -math.inf


def init():
    pass


def run(raw_data):
    global _last_end
    idle = time.monotonic() - _last_end
    factor = 1.0 + EXTRA * -math.expm1(-idle / COOL_S)
    end = time.process_time() + BURN_S * factor
    x = 0
    while time.process_time() < end:
        x += 1
    _last_end = time.monotonic()
    return {"ok": True, "n": len(json.loads(raw_data) if raw_data else [])}
