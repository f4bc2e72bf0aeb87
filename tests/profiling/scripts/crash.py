"""Dies abruptly after CRASH_AFTER requests (a segfaulting native library, say)."""

import os

COUNT = 0


def init():
    pass


def run(raw_data):
    global COUNT
    COUNT += 1
    if int(os.environ.get("CRASH_AFTER", "300")) <= COUNT:
        os._exit(1)
    return COUNT
