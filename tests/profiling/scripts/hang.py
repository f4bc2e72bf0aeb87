"""Hangs on rows that contain "hang" (a deadlocked model call)."""

import time


def init():
    pass


def run(raw_data):
    if "hang" in raw_data:
        time.sleep(float(__import__("os").environ.get("HANG_S", "3")))
    return {"ok": True}
