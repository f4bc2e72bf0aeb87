"""Allocate and touch N MiB (argv[1]), print "rss <bytes>" from /proc/self/statm, then idle."""

import os
import sys
import time

size = int(sys.argv[1]) << 20
block = bytearray(size)
for offset in range(0, size, 4096):  # touch every page so it is really resident
    block[offset] = 1
with open("/proc/self/statm") as statm:
    rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
print(f"rss {rss}", flush=True)
while True:
    time.sleep(60)
