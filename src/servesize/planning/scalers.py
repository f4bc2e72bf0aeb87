"""What each autoscaler reads at a sync, and the count it sets (:mod:`.hpa` decides).

* :class:`HpaCpu`: the HorizontalPodAutoscaler on CPU utilisation relative to the
  request.  Its metric at sync ``t`` is each pod's CPU over the window
  ``[t - metric_delay - metric_window, t - metric_delay]`` (metrics-server's rate over
  its resolution, read some seconds after it was scraped).  A pod is set aside when it
  is not ready, or when (within the CPU initialisation period) its window began before
  it became ready: ``groupPods`` ignores a sample taken before ``readiness + window``.
* :class:`KedaRate`: the KEDA HTTP add-on's ``requestRate``: the requests of the last
  ``window`` seconds over its length, rounded up (the add-on's scaler reports
  ``ceil(rate)``: kedacore/http-add-on, scaler/handlers.go), fed to the HPA KEDA creates
  as an external metric of type AverageValue with the target per replica
  (keda.sh ScaledObject spec: triggers become HPA metrics; the add-on's generated
  ScaledObject has an ``external-push`` trigger, pkg/k8s/scaledobject.go).
* :class:`Fixed`: a static fleet (no autoscaler).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from servesize.planning.fleet import Fleet
from servesize.planning.hpa import Behavior, Controller, cpu_replicas, external_replicas
from servesize.planning.rates import FloatArray
from servesize.planning.replica import Replica
from servesize.planning.settings import PlanSettings

__all__ = ["Fixed", "HpaCpu", "KedaRate"]


def _first_minute_rate(counts: FloatArray) -> float:
    return float(counts[:60].mean()) if counts.size else 0.0


class Fixed:
    """``replicas`` pods for the whole trace."""

    def __init__(self, replicas: int) -> None:
        self.min_replicas = self.max_replicas = replicas

    def initial(self, counts: FloatArray) -> int:
        return self.min_replicas

    def decide(self, now: int, fleet: Fleet) -> tuple[int, dict[str, Any]]:
        return len(fleet.pods), {}


class HpaCpu:
    """``targetCPUUtilizationPercentage`` (``averageUtilization`` of a Resource metric)."""

    def __init__(
        self,
        replica: Replica,
        settings: PlanSettings,
        target_percent: int,
        min_replicas: int,
        max_replicas: int,
        behavior: Behavior,
    ) -> None:
        self.replica = replica
        self.settings = settings
        self.target_percent = target_percent
        self.min_replicas = min_replicas
        self.max_replicas = max_replicas
        self.controller = Controller(behavior, min_replicas, max_replicas)

    def initial(self, counts: FloatArray) -> int:
        """What the HPA had settled at before the trace: the first minute's load at the
        target (it was running before the trace starts)."""
        busy = self.replica.utilization_at(_first_minute_rate(counts))
        wanted = math.ceil(busy / (self.target_percent / 100.0) - 1e-9)
        first = min(max(wanted, self.min_replicas), self.max_replicas)
        self.controller.seed(-1e-6, first)
        return first

    def decide(self, now: int, fleet: Fleet) -> tuple[int, dict[str, Any]]:
        s = self.settings
        end = now - s.metric_delay
        begin = end - s.metric_window
        current = len(fleet.pods)
        lo, hi = max(0, math.floor(begin)), max(0, math.floor(end))
        usage = float(fleet.utilization[lo:hi].mean()) if hi > lo else None
        counted = [
            p
            for p in fleet.pods
            if p.ready_at <= now
            and (p.ready_at <= begin or now - p.created >= s.cpu_initialization_period)
        ]
        if usage is None:
            proposal = None
            utilizations: list[float] = []
        else:
            utilizations = [usage] * len(counted)
            proposal = cpu_replicas(
                current,
                utilizations,
                current - len(counted),
                self.target_percent,
                s.tolerance,
            )
        desired = self.controller.decide(now, current, proposal)
        shown = round(usage * 100.0, 1) if usage is not None and counted else None
        return desired, {"cpuUtilization": shown}


class KedaRate:
    """The HTTP add-on's ``scalingMetric.requestRate.targetValue`` per replica."""

    def __init__(
        self,
        replica: Replica,
        settings: PlanSettings,
        target: float,
        min_replicas: int,
        max_replicas: int,
        behavior: Behavior,
    ) -> None:
        self.replica = replica
        self.settings = settings
        self.target = target
        self.min_replicas = min_replicas
        self.max_replicas = max_replicas
        self.controller = Controller(behavior, min_replicas, max_replicas)
        self._window = max(1, round(settings.keda_window))

    def initial(self, counts: FloatArray) -> int:
        wanted = math.ceil(_first_minute_rate(counts) / self.target - 1e-9)
        first = min(max(wanted, self.min_replicas), self.max_replicas)
        self.controller.seed(-1e-6, first)
        return first

    def decide(self, now: int, fleet: Fleet) -> tuple[int, dict[str, Any]]:
        current = len(fleet.pods)
        lo = max(0, now - self._window)
        seen = fleet.counts[lo:now]
        # the add-on divides by the buckets it has (fewer at the start), not the window
        rate = math.ceil(float(seen.sum()) / seen.size - 1e-9) if seen.size else 0
        proposal = external_replicas(current, rate, self.target, self.settings.tolerance)
        desired = self.controller.decide(now, current, proposal)
        ready = fleet.ready[lo:now]
        cpu = fleet.utilization[lo:now]
        busy = float(np.mean(cpu)) if cpu.size and ready.any() else None
        return desired, {
            "cpuUtilization": round(busy * 100.0, 1) if busy is not None else None,
            "requestRate": rate,
        }
