"""One line per traced generator process (see sitecustomize.py in this folder)."""

import json
import sys

for name in sys.argv[1:]:
    with open(name) as f:
        data = json.load(f)
    sends = data["sends"]
    late = sorted((sent - due) / 1e6 for due, _, sent in sends)
    n = len(late)
    waited = sum(made > due for due, made, _ in sends)
    cpu_ns, wait_ns, slices = data["schedstat"]
    first, last = sends[0][0], sends[-1][2]
    during = [(g, b, e) for g, b, e in data.get("gc", []) if first <= b <= last]
    full = [(e - b) / 1e6 for g, b, e in during if g == 2]
    print(
        f"{name}: {n} sends, {sum(x > 1 for x in late) / n:.1%} > 1 ms late, "
        f"p50 {late[n // 2]:.3f} p99 {late[int(0.99 * n)]:.3f} max {late[-1]:.3f} ms; "
        f"{waited} waited for a connect, {len({m for _, m, _ in sends})} connections; "
        f"CPU {cpu_ns / 1e9:.2f} s, waited for a CPU {wait_ns / 1e9:.2f} s ({slices} slices); "
        f"{len(during)} collections while sending, {len(full)} full "
        f"(longest {max(full, default=0):.1f} ms)"
    )
