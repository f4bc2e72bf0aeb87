"""Takes its time to start: in the import (SLOW_START=import) or in init() (the default)."""

import os
import time

print("START-BEGUN", flush=True)


def _wait():
    end = time.monotonic() + 120
    while time.monotonic() < end:  # a long load, interruptible between bytecodes
        time.sleep(0.05)


if os.environ.get("SLOW_START") == "import":
    _wait()


def init():
    print("INIT-BEGUN", flush=True)
    _wait()


def run(data):
    return data
