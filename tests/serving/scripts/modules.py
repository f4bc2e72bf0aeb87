"""run() reports what the hosting worker has imported (the lean-host test reads it)."""

import os
import sys


def init():
    pass


def run(data):
    return {"modules": sorted(sys.modules), "pid": os.getpid()}
