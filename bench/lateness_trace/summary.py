"""One line per traced generator process (see sitecustomize.py in this folder).

Each late send (> 1 ms) is put down to one cause: ``no free connection`` (every open
connection was busy when it fell due, so it waited in line), the generator's own work
(a garbage collection ``gc0``-``gc2``, the recorder closing a ``window``, the 50 ms
``sweep``, a ``pipe`` write to the parent) when one ran between its due time (less
0.2 ms) and its send, else ``cpu``: the process was not running (waiting for a CPU, or
woken late).  ``schedstat`` gives the sending thread's CPU time and its time runnable but
waiting for a CPU; ``steal_ms`` how long the host (the VM's hypervisor) ran something
else instead of each CPU meanwhile (a stall no guest can prevent).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

_LATE_NS = 1_000_000


def attribute(path: str | Path) -> dict[str, Any]:
    """The late sends of one trace file by cause, and the process's CPU figures."""
    data = json.loads(Path(path).read_text())
    sends = data["sends"]
    events = [(f"gc{g}", b, e) for g, b, e in data.get("gc", [])]
    events += [tuple(s) for s in data.get("stalls", [])]
    events.sort(key=lambda x: x[1])
    queued = {q[0] for q in data.get("queued", [])}
    causes: dict[str, int] = {}
    late = 0
    for due, _, sent in sends:
        if sent - due <= _LATE_NS:
            continue
        late += 1
        cause = "cpu"
        if due in queued:
            cause = "no free connection"
        else:
            for what, begin, end in events:
                if begin > sent:
                    break
                if end >= due - 200_000:
                    cause = what
                    break
        causes[cause] = causes.get(cause, 0) + 1
    cpu_ns, wait_ns, _slices = data["schedstat"]
    stalls: dict[str, float] = {}
    first, last = sends[0][0], sends[-1][2]
    for what, begin, end in events:
        if first <= begin <= last:  # while sending, not while importing or reporting
            stalls[what] = max(stalls.get(what, 0.0), (end - begin) / 1e6)
    return {
        "sends": len(sends),
        "late": late,
        "causes": causes,
        "cpu_s": round(cpu_ns / 1e9, 2),
        "cpu_wait_s": round(wait_ns / 1e9, 2),
        "steal_ms": [t * 10 for t in data.get("steal_ticks") or []],
        "page_faults": data.get("faults"),  # minor, major
        "longest_ms": {k: round(v, 2) for k, v in sorted(stalls.items())},
    }


if __name__ == "__main__":
    for name in sys.argv[1:]:
        a = attribute(name)
        n = max(a["sends"], 1)
        print(
            f"{name}: {a['sends']} sends, {a['late'] / n:.2%} > 1 ms late, by cause "
            f"{a['causes']}; CPU {a['cpu_s']} s, waited for a CPU {a['cpu_wait_s']} s; "
            f"longest own stalls (ms) {a['longest_ms']}"
        )
