"""Ground truth: init() allocates and touches ALLOC_MB of memory and keeps it."""

import os

BLOCK = None


def init():
    global BLOCK
    size = int(float(os.environ.get("ALLOC_MB", "300")) * 1024 * 1024)
    BLOCK = bytearray(size)
    for i in range(0, size, 4096):  # touch every page so it is resident
        BLOCK[i] = 1


def run(raw_data):
    return len(BLOCK)
