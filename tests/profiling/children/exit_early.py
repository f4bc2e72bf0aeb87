"""Log a few lines like a failing init() and exit with code 3."""

import sys

print("loading model", flush=True)
print("Traceback (most recent call last):", file=sys.stderr)
print("RuntimeError: init failed on purpose", file=sys.stderr, flush=True)
sys.exit(3)
