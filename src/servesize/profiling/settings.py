"""Settings of a profile: every number of the procedure, with its documented default.

Inert configuration only (a frozen dataclass); the procedure reads it, never writes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from servesize.errors import InvalidInputError

__all__ = ["ProfileSettings"]

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class ProfileSettings:
    """How a profile measures and recommends (spec/profiling.md, "The procedure").

    Example::

        ProfileSettings(qps=50, min_duration=30)
    """

    #: Target rate Q: the sizing finds the smallest allocation meeting ``slo`` at Q.
    #: None: the measurement runs at ``target_load`` x the sustainable rate and the
    #: sizing answers per replica (most requests/s within the objective per core).
    qps: float | None = None
    #: Latency objective ``pXX=L`` (``p99=150ms``, ``p90=0.2s``); None: p90 at most
    #: twice its value with one request at a time (docs/profiling.md says why).
    slo: str | None = None
    #: Share of the sustainable rate driven when no ``qps`` is given.  Below 1 because
    #: an open-loop Poisson load at 100% of capacity never reaches a steady queue.
    target_load: float = 0.8
    arrival: Literal["poisson", "constant"] = "poisson"
    #: The measurement runs until both the duration and the query count are met.
    min_duration: float = 20.0
    min_queries: int = 500
    #: Per-request timeout of the load generator (seconds); also the service's
    #: SCORING_TIMEOUT_MS unless the environment sets one.
    request_timeout: float = 10.0
    startup_timeout: float = 300.0
    #: the whole profile; past it the profile ends ``TimedOut`` with what it measured
    max_profile_seconds: float = 1800.0
    warmup_max_seconds: float = 30.0
    # capacity search (closed loop, concurrency 1, 2, 4, ...)
    capacity_step_seconds: float = 4.0
    max_concurrency: int = 64
    min_gain: float = 0.05
    stable_windows: int = 3
    stable_tolerance: float = 0.10
    # recommendation
    cpu_percentile: float = 90.0
    safety_margin: float = 0.15
    min_cpu: float = 0.1
    min_memory_gb: float = 0.1
    cpu_step: float = 0.1
    memory_step_gb: float = 0.1
    # sizing search (docs/profiling.md, "Sizing"): False keeps the usage-based
    # recommendation at the given limits
    sizing: bool = True
    #: each open-loop trial of the search lasts this long, longer when the objective's
    #: percentile needs more requests (3 beyond it), at most ``trial_max_seconds``
    trial_duration: float = 5.0
    trial_max_seconds: float = 15.0
    max_trials: int = 6
    #: allocations whose requests/s within the objective per core are within this
    #: share of the best count as tied; the smaller wins
    efficiency_tie: float = 0.05
    #: OMP/OPENBLAS/MKL_NUM_THREADS = ceil(cores) in the service's environment
    match_threads: bool = True
    # confirmation under the recommended limits
    confirm: bool = True
    confirm_duration: float = 10.0
    # verdict
    max_late_share: float = 0.01
    max_rate_error: float = 0.05
    #: worker processes; None: one per core of the allocation above one core
    workers: int | None = None
    #: False runs the service without cgroups (unlimited, measured with psutil), as on a
    #: machine that has none; the details then say ``limitsEnforced: false``
    cgroups: bool = True
    sample_interval: float = 0.1
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.qps is not None and self.qps <= 0:
            raise InvalidInputError(f"qps must be positive, got {self.qps}")
        positive = {
            "min_duration": self.min_duration,
            "request_timeout": self.request_timeout,
            "startup_timeout": self.startup_timeout,
            "max_profile_seconds": self.max_profile_seconds,
            "capacity_step_seconds": self.capacity_step_seconds,
            "sample_interval": self.sample_interval,
            "cpu_step": self.cpu_step,
            "memory_step_gb": self.memory_step_gb,
            "target_load": self.target_load,
        }
        for key, value in positive.items():
            if not value > 0:
                raise InvalidInputError(f"{key} must be positive, got {value}")
        if self.slo is not None:
            from servesize.profiling.objective import parse_slo

            parse_slo(self.slo)  # a bad objective fails here, before anything starts
        if (self.workers is not None and self.workers < 1) or self.max_trials < 1:
            raise InvalidInputError("workers and max_trials must be >= 1")
        if self.min_queries < 0 or self.max_concurrency < 1:
            raise InvalidInputError("workers and max_concurrency must be >= 1, min_queries >= 0")
        if not 0 < self.cpu_percentile <= 100:
            raise InvalidInputError(
                f"cpu_percentile must be in (0, 100], got {self.cpu_percentile}"
            )

    @classmethod
    def from_kwargs(cls, values: dict[str, Any]) -> ProfileSettings:
        """Build settings from ``**settings`` keyword arguments, refusing unknown ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown profile setting(s): {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        try:
            return cls(**values)
        except TypeError as exc:  # wrong type for a field
            raise InvalidInputError(f"bad profile setting: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view, stored as ``details['settings']``."""
        return dataclasses.asdict(self)
