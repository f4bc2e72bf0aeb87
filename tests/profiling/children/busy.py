"""Burn CPU in a loop forever (one thread); prints "ready" once started."""

import sys

print("ready", flush=True)
sys.stdout.flush()
x = 0
while True:
    x += 1
