"""CFS throttling counters of a service's cgroup (``cpu.stat``: nr_periods, nr_throttled).

The same file in v1 (the cpu hierarchy's directory) and v2 (the cgroup's directory).
The share of periods in which the quota ran out is what a sizing table reports as
"throttled share": a high share at the recommended cores means the tail is set by the
quota, not by the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from servesize.profiling._running import Service

__all__ = ["ThrottleCounts", "throttle_counts"]


@dataclass(frozen=True)
class ThrottleCounts:
    periods: int
    throttled: int

    def share_since(self, before: ThrottleCounts | None) -> float | None:
        """Throttled periods / periods between ``before`` and now (None: no periods)."""
        if before is None:
            return None
        periods = self.periods - before.periods
        if periods <= 0:
            return None
        return round((self.throttled - before.throttled) / periods, 4)


def throttle_counts(service: Service) -> ThrottleCounts | None:
    """The counters now, or None without a cgroup that has ``cpu.stat``."""
    if service.cgroup is None:
        return None
    for directory in service.cgroup.dirs:
        try:
            text = (directory / "cpu.stat").read_text()
        except OSError:
            continue
        values: dict[str, int] = {}
        for line in text.splitlines():
            key, _, raw = line.partition(" ")
            if raw.strip().isdigit():
                values[key] = int(raw)
        if "nr_periods" in values and "nr_throttled" in values:
            return ThrottleCounts(values["nr_periods"], values["nr_throttled"])
    return None
