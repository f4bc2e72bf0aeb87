"""Settings of a profile: every number of the procedure, with its documented default.

Inert configuration only (a frozen dataclass); the procedure reads it, never writes it.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from servesize.errors import InvalidInputError

__all__ = ["GIB", "MIB", "ProfileSettings", "check_limit_values"]

GIB = 1 << 30
MIB = 1 << 20


def check_limit_values(cpu: float | None, memory_bytes: float | None) -> None:
    """The one check of limit values (None: no limit), for users' and cgroups' limits."""
    if cpu is not None and not (math.isfinite(cpu) and cpu > 0):
        raise InvalidInputError(f"cpu must be positive, got {cpu}")
    if memory_bytes is not None and not (math.isfinite(memory_bytes) and memory_bytes > 0):
        raise InvalidInputError(
            f"memory must be positive, got {memory_bytes / GIB:g} GB ({memory_bytes:g} bytes)"
        )


@dataclass(frozen=True)
class ProfileSettings:
    """How a profile measures and recommends (docs/profiling.md, "Settings").

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
    #: Share of the sustainable rate driven when no ``qps`` is given.  Half: where the
    #: default objective puts the latency knee.  Higher loads make the measured
    #: latency a function of the noise in the capacity: p90 ~ 1/(1 - load) moves five
    #: times faster than the rate at 0.8 (five profiles of the example: p90 spread 39%
    #: at 0.8, 14% at 0.5; bench/RESULTS-repeat.md).
    target_load: float = 0.5
    arrival: Literal["poisson", "constant"] = "poisson"
    #: the open-loop runs' arrival schedules are drawn from ``seed``, ``seed + 1``, ...
    #: in the order they run, so profiling the same service twice sends the same
    #: schedules (as MLPerf LoadGen fixes its schedule seed); None draws new ones
    seed: int | None = 0
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
    #: before the search, a few seconds at the bound measure what a request costs after
    #: the service idled (profiling/sizing/coldcost.py); plans charge it by the idle gap
    #: before each request.  False: every request the same, as the search assumes
    cold_cost: bool = True
    #: every "meets the objective" is one sequential test (profiling/sizing/decision.py)
    #: of the share of requests over the limit, decided at this confidence (both error
    #: rates 1 - confidence) ...
    confidence: float = 0.95
    #: ... between the share the percentile allows divided and multiplied (in odds) by
    #: this factor: p99 is called met at 0.50% over the limit and missed at 1.98% with
    #: 95% confidence; in between, either (docs/profiling.md, "One decision")
    indifference: float = 2.0
    #: an open-loop trial of the search runs at least this long (the queue settles
    #: after a change of quota), then until it is decided, at most ``trial_max_seconds``
    trial_duration: float = 5.0
    trial_max_seconds: float = 30.0
    #: a run is called met only when it lasted this many relaxation times of the fitted
    #: queue at its allocation and rate (near saturation its slow spells outlast the
    #: 1 s windows the clustering is estimated from: profiling/sizing/decision.py); 0: off
    relaxation_runs: float = 10.0
    max_trials: int = 8
    #: allocations whose predicted requests/s within the objective per core are within
    #: this share of the best count as tied; the smaller wins.  10%: the predicted rate
    #: per core of one allocation varies that much between profiles of the same service
    #: (0.3 cores of the example: 202-220 q/s per core in five profiles)
    efficiency_tie: float = 0.10
    #: a per-replica rate is bracketed until the lowest rate not met is within this share
    #: of the highest met; a confirmation that missed is followed by one this much lower
    rate_resolution: float = 0.10
    #: out of the bracket, the next rate is at most this share above a pass or below a
    #: miss (at least ``rate_resolution``; where the model refitted to the trial's CPU
    #: per request puts the highest rate, in between: profiling/sizing/search.py)
    rate_step: float = 0.25
    #: a run fails when its success rate falls more than this below the success rate of
    #: one request at a time (rows the script rejects are not the service failing)
    error_slack: float = 0.01
    #: OMP/OPENBLAS/MKL_NUM_THREADS = ceil(cores) in the service's environment
    match_threads: bool = True
    # confirmation under the recommended limits: at least ``confirm_duration``, then
    # until decided, at most ``confirm_max_seconds``; ``confirmations`` answers at most
    # (the first, then the next up after each decided miss)
    confirm: bool = True
    confirm_duration: float = 10.0
    confirm_max_seconds: float = 60.0
    confirmations: int = 3
    # verdict (the other rules are fixed: see servesize.profiling.verdict)
    max_late_share: float = 0.01
    #: a sizing trial or confirmation during which the service's CPU ran more than this
    #: many times slower than its fastest in the profile (a fixed loop pinned beside it:
    #: servesize.profiling.speed) is measured again once, and the plan calibrates its
    #: replica on runs at speed; 0 (the default): every run stands, its slowdown
    #: reported.  Off by default: it sizes for the host at its best, and two plan
    #: confirmations on a slowed CPU then missed by 1.9x and 7x (bench/RESULTS-plan.md)
    max_slowdown: float = 0.0
    #: worker processes; None: one per core of the allocation above one core
    workers: int | None = None
    #: where an MLflow model without an inference config runs (``mlflow models serve
    #: --env-manager``): "virtualenv"/"uv" build its requirements.txt with uv, "local"
    #: uses servesize's interpreter; an environment the user gives wins over both
    env_manager: Literal["local", "virtualenv", "uv"] = "virtualenv"
    #: False runs the service without cgroups (unlimited, measured with psutil), as on a
    #: machine that has none; the details then say ``limitsEnforced: false``
    cgroups: bool = True
    sample_interval: float = 0.1
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # every field is checked here, so a bad setting fails before anything starts,
        # with one line naming it, its value and what is allowed
        hints = _field_types()
        for f in dataclasses.fields(self):
            _check_type(f.name, getattr(self, f.name), hints[f.name])
        if self.qps is not None:
            _check_range("qps", self.qps, "> 0", self.qps > 0)
        for key in _POSITIVE:
            value = getattr(self, key)
            _check_range(key, value, "> 0", value > 0)
        for key in _NOT_NEGATIVE:
            value = getattr(self, key)
            _check_range(key, value, ">= 0", value >= 0)
        for key in ("max_concurrency", "stable_windows", "max_trials", "confirmations"):
            _check_range(key, getattr(self, key), ">= 1", getattr(self, key) >= 1)
        if self.workers is not None:
            _check_range("workers", self.workers, ">= 1 (or null: one per core)", self.workers >= 1)
        if self.slo is not None:
            from servesize.profiling.objective import parse_slo

            parse_slo(self.slo)  # a bad objective fails here, before anything starts
        _check_range(
            "cpu_percentile", self.cpu_percentile, "in (0, 100]", 0 < self.cpu_percentile <= 100
        )
        _check_range(
            "max_late_share", self.max_late_share, "in [0, 1]", 0 <= self.max_late_share <= 1
        )
        _check_range("confidence", self.confidence, "in (0.5, 1)", 0.5 < self.confidence < 1)
        _check_range("indifference", self.indifference, "> 1", self.indifference > 1)
        _check_range("relaxation_runs", self.relaxation_runs, ">= 0", self.relaxation_runs >= 0)
        _check_range("rate_step", self.rate_step, "in (0, 1)", 0 < self.rate_step < 1)
        slowdown_ok = self.max_slowdown == 0 or self.max_slowdown >= 1
        _check_range("max_slowdown", self.max_slowdown, "0 or >= 1", slowdown_ok)
        if self.seed is not None:  # numpy's generators take no negative seed
            _check_range("seed", self.seed, ">= 0", self.seed >= 0)
        if self.trial_max_seconds < self.trial_duration:
            raise _bad(
                "trial_max_seconds",
                self.trial_max_seconds,
                f"it must be at least trial_duration ({self.trial_duration:g})",
            )
        if self.confirm_max_seconds < self.confirm_duration:
            raise _bad(
                "confirm_max_seconds",
                self.confirm_max_seconds,
                f"it must be at least confirm_duration ({self.confirm_duration:g})",
            )

    @classmethod
    def from_kwargs(cls, values: dict[str, Any]) -> ProfileSettings:
        """Build settings from ``**settings`` keyword arguments, refusing unknown ones."""
        known = sorted(f.name for f in dataclasses.fields(cls))
        for key in values:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise InvalidInputError(
                    f"unknown profile setting {key!r}: {hint}known settings: {', '.join(known)}"
                )
        try:
            return cls(**values)
        except TypeError as exc:  # wrong type for a field
            raise InvalidInputError(f"bad profile setting: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view, stored as ``details['settings']``."""
        return dataclasses.asdict(self)


_POSITIVE = (
    "target_load",
    "min_duration",
    "request_timeout",
    "startup_timeout",
    "max_profile_seconds",
    "warmup_max_seconds",
    "capacity_step_seconds",
    "stable_tolerance",
    "min_cpu",
    "min_memory_gb",
    "cpu_step",
    "memory_step_gb",
    "confirm_duration",
    "sample_interval",
    "trial_duration",
    "trial_max_seconds",
    "confirm_max_seconds",
    "rate_resolution",
    "rate_step",
)
_NOT_NEGATIVE = (
    "min_queries",
    "min_gain",
    "safety_margin",
    "efficiency_tie",
    "error_slack",
)


@functools.cache
def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(ProfileSettings)


def _bad(name: str, value: object, allowed: str) -> InvalidInputError:
    return InvalidInputError(f"profile setting {name}={value!r} is not allowed: {allowed}")


def _check_range(name: str, value: object, allowed: str, ok: bool) -> None:
    if not ok:
        raise _bad(name, value, f"it must be {allowed}")


def _check_type(name: str, value: object, hint: Any) -> None:
    """``value`` has the field's type: bools are not numbers, strings are not numbers,
    numbers are finite, a choice is one of its ``Literal`` values."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None:
        if type(None) not in options:
            raise _bad(name, value, "a value is required")
        return
    for option in options:
        origin = typing.get_origin(option)
        if origin is Literal:
            if value in typing.get_args(option):
                return
            choices = " or ".join(repr(c) for c in typing.get_args(option))
            raise _bad(name, value, f"use {choices}")
        if option is bool and isinstance(value, bool):
            return
        if option is str and isinstance(value, str):
            return
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise _bad(name, value, "a finite number is required")
            return
        if origin is dict and isinstance(value, dict):
            if all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                return
            raise _bad(name, value, "a mapping of strings to strings is required")
    wanted = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    allowed = " or ".join(wanted.get(o, getattr(o, "__name__", str(o))) for o in options)
    raise _bad(name, value, f"{allowed} is required".replace("NoneType", "null"))
