"""Two processes burning CPU (this one and a child): on one CPU they queue behind each
other, which is the service's own doing, not contention from other processes."""

import subprocess
import sys

child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
print("ready", flush=True)
try:
    while True:
        pass
finally:
    child.kill()
