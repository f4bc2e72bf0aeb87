"""run() sleeps past SCORING_TIMEOUT_MS when asked to."""

import time


def init():
    pass


def run(data):
    if data == "slow":
        time.sleep(5)
        return "slept"
    return "quick"
