"""Leaks LEAK_MB per request: under a memory limit it is OOM-killed."""

import os

KEPT = []


def init():
    pass


def run(raw_data):
    block = bytearray(int(float(os.environ.get("LEAK_MB", "20")) * 1024 * 1024))
    for i in range(0, len(block), 4096):
        block[i] = 1
    KEPT.append(block)
    return len(KEPT)
