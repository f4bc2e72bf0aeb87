"""A traffic plan stored with the profile (``details['autoscaling']`` and
``details['traffic']``), read as plain values; and Azure Monitor autoscale from it.

The plan counts replicas of the measured allocation (Kubernetes pods); an Azure
instance holds ``workers / replica_workers`` of them, so counts are converted to
instances rounding up.  The HPA's CPU target is a share of the replica's CPU request;
Azure Monitor's ``CpuUtilizationPercentage`` is a share of the instance's vCPUs, so the
threshold becomes ``target x workers x cpu per worker / vCPUs``.  The rule steps and
windows (+2 instances above it for 5 minutes, -1 below the lower one) are those of
Azure's documented example (how-to-autoscale-endpoints); the lower threshold keeps the
example's ratio (30/70).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Autoscale", "TrafficPlan", "autoscale", "has_plan", "read_plan"]


@dataclass(frozen=True)
class TrafficPlan:
    """What servesize.deploy needs of a stored traffic plan."""

    min_replicas: int
    max_replicas: int
    target_cpu_percent: float
    #: a static deployment's replicas for the peak (None: the plan has no prediction)
    static_replicas: float | None
    #: replica-hours the plan predicts over the traffic's duration
    replica_hours: float | None
    duration_seconds: float | None
    mean_queries_per_second: float | None
    #: (t, replicas) at each sync period of the simulated autoscaler, in order
    timeline: tuple[tuple[float, float], ...] = ()

    def instance_hours(self, replica_workers: int, workers: int) -> tuple[float, str] | None:
        """Instance-hours over the traffic's duration, and how they were counted: each
        step of the timeline packed into whole instances when there is one, else the
        plan's replica-hours packed on average (a lower bound); None without either."""
        end = self.duration_seconds
        if len(self.timeline) >= 1 and end:
            total = 0.0
            for (t, replicas), nxt in zip(
                self.timeline, [*(row[0] for row in self.timeline[1:]), end], strict=True
            ):
                total += instances_for(replicas, replica_workers, workers) * max(0.0, nxt - t)
            steps = len(self.timeline)
            return total / 3600, (
                f"the timeline's {steps} steps, each step's replicas x {replica_workers} "
                f"worker(s) / {workers} workers an instance rounded up to whole instances"
            )
        if self.replica_hours is not None:
            return self.replica_hours * replica_workers / workers, (
                f"{self.replica_hours:g} replica-hours x {replica_workers} worker(s) / "
                f"{workers} workers an instance (packed on average: a lower bound)"
            )
        return None


def _num(mapping: Mapping[str, Any], key: str) -> float | None:
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _section(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, Mapping) else {}


def has_plan(details: Mapping[str, Any]) -> bool:
    """Whether the details hold a traffic plan servesize.deploy can use."""
    return read_plan(details) is not None


def read_plan(details: Mapping[str, Any]) -> TrafficPlan | None:
    """The plan of ``details``; None when there is none (or it lacks the HPA's counts)."""
    scaling = _section(details, "autoscaling")
    hpa = _section(scaling, "hpa")
    low, high = _num(hpa, "minReplicas"), _num(hpa, "maxReplicas")
    target = _num(hpa, "targetCPUUtilizationPercentage")
    if low is None or high is None or target is None or high < 1 or target <= 0:
        return None
    predicted = _section(scaling, "predicted")
    traffic = _section(details, "traffic")
    return TrafficPlan(
        min_replicas=max(1, int(low)),
        max_replicas=max(1, int(low), int(high)),
        target_cpu_percent=target,
        static_replicas=_num(predicted, "staticReplicas"),
        replica_hours=_num(predicted, "replicaHours"),
        duration_seconds=_num(traffic, "durationSeconds"),
        mean_queries_per_second=_num(traffic, "meanQueriesPerSecond"),
        timeline=_timeline(scaling.get("timeline")),
    )


def _timeline(rows: object) -> tuple[tuple[float, float], ...]:
    """(t, replicas) of each row: the replicas the autoscaler asked for (they cost from
    their start), else those ready; () when any row lacks them or time goes back."""
    if not isinstance(rows, list):
        return ()
    out: list[tuple[float, float]] = []
    for row in rows:
        if not isinstance(row, Mapping):
            return ()
        t = _num(row, "t")
        replicas = next(
            (
                v
                for k in ("desiredReplicas", "readyReplicas", "replicas")
                if (v := _num(row, k)) is not None
            ),
            None,
        )
        if t is None or replicas is None or (out and t < out[-1][0]):
            return ()
        out.append((t, replicas))
    return tuple(out)


@dataclass(frozen=True)
class Autoscale:
    """Azure Monitor autoscale settings for the chosen SKU."""

    minimum: int
    maximum: int
    default: int
    scale_out_above: int
    scale_in_below: int

    def to_details(self) -> dict[str, Any]:
        return {
            "minInstances": self.minimum,
            "maxInstances": self.maximum,
            "defaultInstances": self.default,
            "scaleOutAboveCpuPercent": self.scale_out_above,
            "scaleInBelowCpuPercent": self.scale_in_below,
            "scaleOutBy": 2,
            "scaleInBy": 1,
            "windowMinutes": 5,
        }


def instances_for(replicas: float, replica_workers: int, workers: int) -> int:
    """Instances of ``workers`` workers that hold ``replicas`` replicas."""
    return max(1, math.ceil(round(replicas * replica_workers / workers, 9)))


def autoscale(
    plan: TrafficPlan,
    *,
    replica_workers: int,
    workers: int,
    cpu_per_worker: float,
    vcpus: float,
    instances: int,
) -> Autoscale:
    low = instances_for(plan.min_replicas, replica_workers, workers)
    high = max(low, instances_for(plan.max_replicas, replica_workers, workers))
    busy = workers * cpu_per_worker / vcpus  # the workers' share of the instance
    out = min(99, max(2, round(plan.target_cpu_percent * busy)))
    return Autoscale(low, high, min(max(instances, low), high), out, max(1, out * 3 // 7))
