"""The assumptions of a plan's simulation, each with the default it is documented at."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from servesize.errors import InvalidInputError

__all__ = ["AUTOSCALERS", "PlanSettings"]

AUTOSCALERS = ("hpa", "keda")


@dataclass(frozen=True)
class PlanSettings:
    """Every number the simulation assumes; docs/planning.md says where each comes from."""

    #: kube-controller-manager --horizontal-pod-autoscaler-sync-period (default 15 s)
    sync_period: float = 15.0
    #: --horizontal-pod-autoscaler-tolerance (default 0.1)
    tolerance: float = 0.1
    #: metrics-server's --metric-resolution in its published manifests (15 s): the CPU
    #: rate a pod reports is its usage over this window
    metric_window: float = 15.0
    #: how old that window is when the HPA reads it: half a resolution on average
    metric_delay: float = 7.5
    #: --horizontal-pod-autoscaler-cpu-initialization-period (default 5 min): within it a
    #: pod's CPU sample counts only once a whole window followed its readiness
    cpu_initialization_period: float = 300.0
    #: seconds before a new pod's container starts (scheduling, image pull); the
    #: profile's measured cold start follows it
    pod_start_seconds: float = 0.0
    #: scale-down stabilization window (behavior default 300 s)
    scale_down_stabilization: int = 300
    #: the KEDA HTTP add-on's requestRate window (default 1m)
    keda_window: float = 60.0
    #: the latency of a second is predicted at the rate averaged over this many seconds
    #: around it (the queueing model adds Poisson arrivals within it)
    rate_window: float = 5.0
    #: share of the trace's requests that must be within the objective's limit; None:
    #: the objective's own (0.99 for p99, 0.9 for p90)
    attainment: float | None = None
    #: share of the trace's minutes (with requests) whose percentile must meet the
    #: objective: the objective holds through the bursts, not only on average
    minutes: float = 0.99
    #: the most a replica is planned to carry, as a multiple of the highest rate a
    #: trusted run at its limits measured meeting the objective (the model's latency
    #: past it is an extrapolation that the host's slow spells can defeat); below 1
    #: keeps headroom under it; 0: no limit, the model alone
    beyond_measured: float = 1.0
    #: length of the window replayed on real replicas to confirm the plan
    confirm_seconds: float = 60.0
    #: replicas at most for a plan (the HPA's maxReplicas search bound)
    max_replicas: int = 1000
    seed: int = 7

    def __post_init__(self) -> None:
        positive = ("sync_period", "metric_window", "keda_window", "rate_window", "confirm_seconds")
        for name in positive:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InvalidInputError(f"plan setting {name} must be positive, not {value!r}")
        for name in ("metric_delay", "cpu_initialization_period", "pod_start_seconds"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InvalidInputError(f"plan setting {name} must be 0 or more, not {value!r}")
        if not 0 <= self.tolerance < 1:
            raise InvalidInputError(
                f"plan setting tolerance must be in [0, 1), not {self.tolerance}"
            )
        for name in ("attainment", "minutes"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and 0 < value <= 1):
                raise InvalidInputError(
                    f"plan setting {name} must be a share in (0, 1], not {value!r}"
                )
        value = self.beyond_measured
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise InvalidInputError(
                f"plan setting beyond_measured must be 0 (no limit) or more, not {value!r}"
            )
        if self.max_replicas < 1 or self.scale_down_stabilization < 0:
            raise InvalidInputError(
                "plan settings max_replicas >= 1, scale_down_stabilization >= 0"
            )

    @classmethod
    def from_kwargs(cls, values: dict[str, Any]) -> PlanSettings:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown plan setting {unknown[0]!r}; known: {', '.join(sorted(known))}"
            )
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
