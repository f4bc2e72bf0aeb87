"""The figures of a profile: ONE typed definition, Azure's camelCase keys only at the edge.

The procedure (``servesize.profiling``) fills a :class:`Figures`; the store keeps it as
the profile's ``details`` JSON (:meth:`Figures.to_details`); ``get_details()``, the
reports and ``--json`` show those camelCase keys; everything in between reads typed
attributes (``figures.recommended_cpu``), so mypy checks every producer and consumer.

Each field names its stored key once, with :func:`figure`::

    recommended_cpu: float | None = figure("recommendedCpu")

**Adding a figure is a one-place change:** add one such line to :class:`Figures` (or
to a nested group: :class:`Confirmation`, :class:`Warmup`, :class:`Machine`; or to
:class:`MeasuredRun`, the base of both ``Figures`` and ``Confirmation``, for a figure
every measured run has, so it is declared once for the two), with the camelCase key
the details should carry and ``None`` as default (a profile that fails early does not
have it).  Set it where it is measured (``figures.my_figure = ...``)
and read it where it is shown; the conversion both ways follows from the field.  A
figure the load generator reports under the same key gets ``source="load"`` and is
copied by ``take_load_metrics(result.metrics)`` (of :class:`Figures`, :class:`Warmup`
or :class:`Confirmation`) without further code.  A new nested group is a dataclass
like :class:`Warmup`, with its field declared ``figure("key", group=ThatClass)``.
Reports read ``ProfileView.figures``; the SDK has ``ModelProfile.figures``.

Reading is lenient (old profiles, hand-written details): missing keys are ``None``,
keys this version does not know are kept in ``extra`` and written back unchanged, so
a round trip ``Figures.from_details(d).to_details()`` loses nothing.  ``None`` values
are left out of the details, as Azure's ``get_details()`` leaves them out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

__all__ = [
    "Autoscaling",
    "Confirmation",
    "ErrorInfo",
    "Figures",
    "Machine",
    "MeasuredRun",
    "PlanConfirmation",
    "PlanPredicted",
    "RunEnvironment",
    "Warmup",
    "figure",
]


def figure(key: str, *, source: str = "", group: type | None = None) -> Any:
    """A figure stored under ``key`` (default None); ``source="load"``: copied from the
    load generator's metrics of the same key; ``group``: a nested group's class."""
    return field(default=None, metadata={"key": key, "source": source, "group": group})


class _Group:
    """camelCase conversion shared by every group of figures (dataclass subclasses)."""

    #: keep ``None`` values in the details (a group whose every key is always present)
    keep_none: ClassVar[bool] = False
    extra: dict[str, Any]

    @classmethod
    def _figure_fields(cls) -> tuple[dataclasses.Field[Any], ...]:
        return tuple(f for f in dataclasses.fields(cls) if "key" in f.metadata)  # type: ignore[arg-type]

    def clear_keys(self, keys: set[str]) -> None:
        """Set the figures stored under ``keys`` back to None (not measured)."""
        for f in self._figure_fields():
            if f.metadata["key"] in keys:
                setattr(self, f.name, None)

    @classmethod
    def key(cls, name: str) -> str:
        """The stored key of field ``name`` (``KeyError`` for a field that is not one)."""
        for f in cls._figure_fields():
            if f.name == name:
                return str(f.metadata["key"])
        raise KeyError(name)

    @classmethod
    def coerce(cls, value: object) -> Self | None:
        """A stored value as this group; None when it is not one (hand-edited details)."""
        return cls.from_details(value) if isinstance(value, Mapping) else None

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> Self:
        values: dict[str, Any] = {}
        known: set[str] = set()
        for f in cls._figure_fields():
            key = f.metadata["key"]
            known.add(key)
            value = details.get(key)
            group = f.metadata["group"]
            if group is not None and value is not None:
                value = group.coerce(value)
            values[f.name] = value
        values["extra"] = {k: v for k, v in details.items() if k not in known}
        return cls(**values)

    def take_load_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Copy every ``source="load"`` figure from the load generator's metrics."""
        for f in self._figure_fields():
            if f.metadata["source"] == "load":
                setattr(self, f.name, metrics.get(f.metadata["key"]))

    def to_details(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self._figure_fields():
            value = getattr(self, f.name)
            if isinstance(value, _Group):
                value = value.to_details()
            if value is not None or self.keep_none:
                out[f.metadata["key"]] = value
        out.update(self.extra)
        return out


@dataclass
class ErrorInfo(_Group):
    """Why a profile did not succeed: ``{"message": ..., "type": ...}``."""

    message: str | None = figure("message")
    type: str | None = figure("type")
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def coerce(cls, value: object) -> Self | None:
        if isinstance(value, str):  # an error stored as plain text
            return cls(message=value)
        return super().coerce(value)


@dataclass
class Machine(_Group):
    """The machine the profile ran on."""

    keep_none: ClassVar[bool] = True
    #: the processor's name (``model name`` in /proc/cpuinfo), to tell a slower machine
    #: from a broken install when figures differ from someone else's
    cpu_model: str | None = figure("cpuModel")
    #: the kernel's scheduler tick rate (CONFIG_HZ), where its build config says it: a
    #: CPU quota is enforced at that granularity
    kernel_hz: int | None = figure("kernelHz")
    cpu_count: int | None = figure("cpuCount")
    usable_cpus: int | None = figure("usableCpus")
    memory_in_gb: float | None = figure("memoryInGB")
    cgroup_version: str | None = figure("cgroupVersion")
    cgroup_note: str | None = figure("cgroupNote")
    platform: str | None = figure("platform")
    python: str | None = figure("python")
    servesize_version: str | None = figure("servesizeVersion")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Warmup(_Group):
    """Each dataset row sent once before anything is measured."""

    total_queries: int | None = figure("totalQueries", source="load")
    success_rate: float | None = figure("successRate", source="load")
    errors_by_kind: dict[str, int] | None = figure("errorsByKind", source="load")
    #: failures of run() counted by the host: ``[{type, message, count}]``
    run_errors: list[dict[str, Any]] | None = figure("runErrors")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class MeasuredRun(_Group):
    """The figures every measured run has, declared once: the profile's measurement
    (:class:`Figures`) and its re-run under the recommended limits
    (:class:`Confirmation`) store them under the same keys."""

    # -- what the run was asked to serve under ---------------------------------------
    requested_cpu: float | None = figure("requestedCpu")
    requested_memory_in_gb: float | None = figure("requestedMemoryInGB")
    requested_queries_per_second: float | None = figure("requestedQueriesPerSecond")
    workers: int | None = figure("workers")
    # -- the load generator's metrics of the run -------------------------------------
    total_queries: int | None = figure("totalQueries", source="load")
    success_rate: float | None = figure("successRate", source="load")
    measured_queries_per_second: float | None = figure("measuredQueriesPerSecond", source="load")
    latency_percentile50_in_ms: float | None = figure("latencyPercentile50InMs", source="load")
    latency_percentile90_in_ms: float | None = figure("latencyPercentile90InMs", source="load")
    latency_percentile99_in_ms: float | None = figure("latencyPercentile99InMs", source="load")
    latency_percentile999_in_ms: float | None = figure("latencyPercentile999InMs", source="load")
    late_send_share: float | None = figure("lateSendShare", source="load")
    #: requests the schedule issued, and those unanswered when it ended (the verdict's
    #: test of whether the service kept up)
    scheduled_queries: int | None = figure("scheduledQueries", source="load")
    backlog_at_schedule_end: int | None = figure("backlogAtScheduleEnd", source="load")
    # -- CPU contention and quota throttling of the run (docs/verdict.md) -------------
    cpu_contention_share: float | None = figure("cpuContentionShare")
    cpu_contention_seconds: float | None = figure("cpuContentionSeconds")
    throttled_share: float | None = figure("throttledShare")
    throttled_seconds: float | None = figure("throttledSeconds")
    throttled_periods: int | None = figure("throttledPeriods")
    periods: int | None = figure("periods")
    cpu_pressure_share: float | None = figure("cpuPressureShare")
    #: the service's CPU's speed during the run: a fixed loop's median time over its
    #: fastest in the profile (servesize.profiling.speed; 1.0: full speed)
    machine_slowdown: float | None = figure("machineSlowdown", source="load")


@dataclass
class Confirmation(MeasuredRun):
    """The re-run under the recommended limits (or why it was skipped); its load,
    contention and throttling figures are those of :class:`MeasuredRun`."""

    skipped: str | None = figure("skipped")
    held: bool | None = figure("held")
    error: str | None = figure("error")
    # -- under a sizing (docs/profiling.md, "Sizing") ---------------------------------
    threads: int | None = figure("threads")
    utilized_cpu: float | None = figure("utilizedCpu")
    #: the service's start under the recommended limits, to its first answer (the
    #: profile's ``coldStartSeconds`` is under the bound): a new replica's readiness
    cold_start_seconds: float | None = figure("coldStartSeconds")
    #: the objective's decision (profiling/sizing/decision.py): ``decision`` (met, missed,
    #: undecided), ``n``, ``overLimit``, ``dispersion``, ``logLikelihoodRatio``, ``confidence``
    decision: dict[str, Any] | None = figure("decision")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunEnvironment(_Group):
    """What the entry script ran in (``servesize.environments``): a built environment,
    or servesize's own interpreter (``isolated`` false; ``cacheKey``, ``cached`` null)."""

    keep_none: ClassVar[bool] = True
    name: str | None = figure("name")
    version: int | None = figure("version")
    cache_key: str | None = figure("cacheKey")
    #: False: this profile built it (and started it once first: ``first_start_seconds``)
    cached: bool | None = figure("cached")
    build_seconds: float | None = figure("buildSeconds")
    first_start_seconds: float | None = figure("firstStartSeconds")
    python_version: str | None = figure("pythonVersion")
    #: the environment's ``pip freeze``: exactly what ran
    packages: list[str] | None = figure("packages")
    isolated: bool | None = figure("isolated")
    #: what servesize added for its host (httptools, uvloop) when the user did not pin it
    host_requirements: list[str] | None = figure("hostRequirements")
    #: Azure's serving packages left out of the build (the host replaces them)
    replaced_by_host: list[str] | None = figure("replacedByHost")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlanPredicted(_Group):
    """What the simulation of the autoscaled plan over the trace predicts
    (docs/planning.md), against the static plan that carries the trace's peak."""

    replica_hours: float | None = figure("replicaHours")
    static_replicas: int | None = figure("staticReplicas")
    static_replica_hours: float | None = figure("staticReplicaHours")
    #: share of the trace's requests predicted within the objective's limit
    attainment: float | None = figure("attainment")
    #: the share the plan was required to reach (the target it was chosen for)
    required_attainment: float | None = figure("requiredAttainment")
    #: share of the trace's minutes (with requests) whose percentile meets the objective
    minutes_meeting_objective: float | None = figure("minutesMeetingObjective")
    #: the minute with the highest predicted percentile: ``{t, requests,
    #: predictedPercentileMs, attainment}``
    worst_minute: dict[str, Any] | None = figure("worstMinute")
    mean_replicas: float | None = figure("meanReplicas")
    peak_replicas: int | None = figure("peakReplicas")
    #: the same three on the trace's own arrival times, request by request
    #: (servesize.planning.replay), where the figures above use Poisson arrivals at each
    #: second's smoothed rate: bursts shorter than the rate window show only here
    attainment_on_arrivals: float | None = figure("attainmentOnArrivals")
    minutes_meeting_objective_on_arrivals: float | None = figure(
        "minutesMeetingObjectiveOnArrivals"
    )
    worst_minute_on_arrivals: dict[str, Any] | None = figure("worstMinuteOnArrivals")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlanConfirmation(_Group):
    """The trace's hardest window replayed on real replicas under the planned limits."""

    #: the model's percentile over the very requests replayed, each replica's queue fed
    #: its own send times (servesize.planning.replay)
    predicted_ms: float | None = figure("predictedMs")
    #: the fleet simulation's percentile over the window (Poisson at smoothed rates)
    smoothed_predicted_ms: float | None = figure("smoothedPredictedMs")
    measured_ms: float | None = figure("measuredMs")
    #: the objective met by the profile's decision over every replica's requests
    met: bool | None = figure("met")
    #: that decision: ``decision`` (met, missed, undecided), ``n``, ``overLimit``,
    #: ``dispersion``, ``logLikelihoodRatio``, ``confidence``
    decision: dict[str, Any] | None = figure("decision")
    #: |measured - predicted| / predicted
    deviation: float | None = figure("deviation")
    #: where the true percentile lies at the decision's confidence, given the requests
    #: measured (distribution-free: order statistics), and whether the prediction does
    measured_interval_ms: list[float] | None = figure("measuredIntervalMs")
    prediction_within_interval: bool | None = figure("predictionWithinInterval")
    window_start: float | None = figure("windowStart")
    window_seconds: float | None = figure("windowSeconds")
    #: replicas run here, and replicas the simulation had in that window
    replicas: int | None = figure("replicas")
    simulated_replicas: int | None = figure("simulatedReplicas")
    requests: int | None = figure("requests")
    success_rate: float | None = figure("successRate")
    late_send_share: float | None = figure("lateSendShare")
    #: why the measurement cannot be trusted (a busy machine: docs/verdict.md)
    reasons: list[str] | None = figure("reasons")
    #: the CPU's speed during the replay: the probe's median loop over the fastest of
    #: the profile's (servesize.profiling.speed; 1.0: as fast as the profile at its best)
    machine_slowdown: float | None = figure("machineSlowdown")
    #: the same, second by second from the replay's start
    machine_slowdowns: list[float] | None = figure("machineSlowdowns")
    #: the model's percentile over the same requests with the service as slow as the
    #: replay's median (through the replica's sensitivity), against its calibration
    #: runs' median
    predicted_at_measured_speed_ms: float | None = figure("predictedAtMeasuredSpeedMs")
    #: CPU seconds the replicas burnt a request answered during the replay (the plan's
    #: is ``autoscaling.replica.cpuSecondsPerQuery``)
    cpu_seconds_per_query: float | None = figure("cpuSecondsPerQuery")
    #: the model's percentile over the same requests with each request's work scaled so
    #: that it burns what the replicas did: the queue and the quota as modelled, the
    #: CPU as measured
    predicted_at_measured_cpu_ms: float | None = figure("predictedAtMeasuredCpuMs")
    #: the replicas' CFS periods in which the quota ran out, over all their periods,
    #: and the seconds they waited for it (the kernel's counters over the replay)
    throttled_share: float | None = figure("throttledShare")
    throttled_seconds: float | None = figure("throttledSeconds")
    skipped: str | None = figure("skipped")
    error: str | None = figure("error")
    note: str | None = figure("note")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Autoscaling(_Group):
    """An autoscaling plan for a trace (``servesize profile plan``; docs/planning.md)."""

    #: which autoscaler ``timeline`` and ``predicted`` describe: ``hpa`` or ``keda``
    autoscaler: str | None = figure("autoscaler")
    #: the HorizontalPodAutoscaler's settings: ``targetCPUUtilizationPercentage``,
    #: ``minReplicas``, ``maxReplicas``, ``behavior`` (autoscaling/v2)
    hpa: dict[str, Any] | None = figure("hpa")
    #: the KEDA HTTP add-on's: ``requestRateTargetValue``, ``minReplicaCount``,
    #: ``maxReplicaCount``, ``window``, ``behavior``
    keda: dict[str, Any] | None = figure("keda")
    #: one row per sync period: ``t``, ``rate``, ``cpuUtilization``,
    #: ``desiredReplicas``, ``readyReplicas``, ``predictedPercentileMs``
    timeline: list[dict[str, Any]] | None = figure("timeline")
    predicted: PlanPredicted | None = figure("predicted", group=PlanPredicted)
    confirmation: PlanConfirmation | None = figure("confirmation", group=PlanConfirmation)
    #: one replica as the profile sized it (limits, CPU per query, cold start)
    replica: dict[str, Any] | None = figure("replica")
    objective: str | None = figure("objective")
    #: seconds from a burst to a new replica serving: sync period, metric window and
    #: delay, cold start
    reaction_seconds: float | None = figure("reactionSeconds")
    #: the simulation's settings (PlanSettings.to_dict())
    settings: dict[str, Any] | None = figure("settings")
    note: str | None = figure("note")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Figures(MeasuredRun):
    """Every figure a profile reports (docs/profiling.md); all optional.  The
    measurement's requested limits, load metrics, contention and throttling are the
    fields of :class:`MeasuredRun`."""

    # -- what the service ran under --------------------------------------------------
    service_cpus: list[int] | None = figure("serviceCpus")
    generator_cpus: list[int] | None = figure("generatorCpus")
    cpus_shared: bool | None = figure("cpusShared")
    machine: Machine | None = figure("machine", group=Machine)
    #: the speed probe over the whole profile (``SpeedSummary.to_dict()``)
    machine_speed: dict[str, Any] | None = figure("machineSpeed")
    #: the ProfileSettings used, as ``ProfileSettings.to_dict()`` (its field names)
    settings: dict[str, Any] | None = figure("settings")
    missing_requirements: list[str] | None = figure("missingRequirements")
    environment: RunEnvironment | None = figure("environment", group=RunEnvironment)
    limits_enforced: bool | None = figure("limitsEnforced")
    limits_note: str | None = figure("limitsNote")
    #: a server command or a running service's URL (docs/servers.md), as ``to_dict()``
    server: dict[str, Any] | None = figure("server")
    #: how the service's environment differs from what was asked (an MLflow model's)
    environment_note: str | None = figure("environmentNote")
    #: figures a profile could not measure (a service at a URL), by key, with the reason
    not_measured: dict[str, str] | None = figure("notMeasured")
    # -- start-up --------------------------------------------------------------------
    cold_start_seconds: float | None = figure("coldStartSeconds")
    idle_memory_in_gb: float | None = figure("idleMemoryInGB")
    #: the scoring host's own share of the idle memory (a no-op script's host)
    host_idle_memory_in_gb: float | None = figure("hostIdleMemoryInGB")
    warmup: Warmup | None = figure("warmup", group=Warmup)
    # -- capacity search -------------------------------------------------------------
    capacity_errors: dict[str, int] | None = figure("capacityErrors")
    capacity_stop_reason: str | None = figure("capacityStopReason")
    max_sustainable_queries_per_second: float | None = figure("maxSustainableQueriesPerSecond")
    capacity_concurrency: int | None = figure("capacityConcurrency")
    # -- measurement: the load generator's metrics beyond MeasuredRun's ---------------
    success_queries: int | None = figure("successQueries", source="load")
    average_latency_in_ms: float | None = figure("averageLatencyInMs", source="load")
    min_latency_in_ms: float | None = figure("minLatencyInMs", source="load")
    max_latency_in_ms: float | None = figure("maxLatencyInMs", source="load")
    service_time_average_in_ms: float | None = figure("serviceTimeAverageInMs", source="load")
    latency_percentile95_in_ms: float | None = figure("latencyPercentile95InMs", source="load")
    service_time_percentile50_in_ms: float | None = figure(
        "serviceTimePercentile50InMs", source="load"
    )
    service_time_percentile90_in_ms: float | None = figure(
        "serviceTimePercentile90InMs", source="load"
    )
    service_time_percentile95_in_ms: float | None = figure(
        "serviceTimePercentile95InMs", source="load"
    )
    service_time_percentile99_in_ms: float | None = figure(
        "serviceTimePercentile99InMs", source="load"
    )
    service_time_percentile999_in_ms: float | None = figure(
        "serviceTimePercentile999InMs", source="load"
    )
    #: due time to the response's first byte: earlier than the latency for a service
    #: that streams its answer (chunked), about the same otherwise
    time_to_first_byte_percentile50_in_ms: float | None = figure(
        "timeToFirstBytePercentile50InMs", source="load"
    )
    time_to_first_byte_percentile90_in_ms: float | None = figure(
        "timeToFirstBytePercentile90InMs", source="load"
    )
    time_to_first_byte_percentile99_in_ms: float | None = figure(
        "timeToFirstBytePercentile99InMs", source="load"
    )
    errors_by_status: dict[str, int] | None = figure("errorsByStatus", source="load")
    errors_by_kind: dict[str, int] | None = figure("errorsByKind", source="load")
    #: failures of run() counted by the host: ``[{type, message, count}]``
    run_errors: list[dict[str, Any]] | None = figure("runErrors")
    duration_seconds: float | None = figure("durationSeconds", source="load")
    #: MeasuredRun's contention and throttling figures for every phase:
    #: ``{phase: {"cpuContentionShare": ..., ...}}`` (docs/verdict.md)
    phase_figures: dict[str, dict[str, Any]] | None = figure("phaseFigures")
    # -- utilisation and the recommendation ------------------------------------------
    cpu_seconds_per_query: float | None = figure("cpuSecondsPerQuery")
    average_utilized_cpu: float | None = figure("averageUtilizedCpu")
    max_utilized_cpu: float | None = figure("maxUtilizedCpu")
    max_utilized_memory_in_gb: float | None = figure("maxUtilizedMemoryInGB")
    recommended_cpu: float | None = figure("recommendedCpu")
    recommended_memory_in_gb: float | None = figure("recommendedMemoryInGB")
    confirmation: Confirmation | None = figure("confirmation", group=Confirmation)
    #: the objective's percentile under the recommended limits (p90 without a sizing)
    recommendation_latency_in_ms: float | None = figure("recommendationLatencyInMs")
    # -- sizing for a latency objective (docs/profiling.md, "Sizing") ------------------
    latency_objective: str | None = figure("latencyObjective")
    latency_objective_source: str | None = figure("latencyObjectiveSource")
    #: the confirmation was decided to meet the objective (None: undecided, or no
    #: confirmation); ``slo_decision`` says which, at ``slo_confidence``
    slo_met: bool | None = figure("sloMet")
    slo_decision: str | None = figure("sloDecision")
    slo_confidence: float | None = figure("sloConfidence")
    recommended_workers: int | None = figure("recommendedWorkers")
    recommended_threads: int | None = figure("recommendedThreads")
    recommended_replicas: int | None = figure("recommendedReplicas")
    max_queries_per_second_within_slo: float | None = figure("maxQueriesPerSecondWithinSlo")
    #: rows of Trial.to_row(): each allocation measured or predicted
    sizing: list[dict[str, Any]] | None = figure("sizing")
    sizing_note: str | None = figure("sizingNote")
    sizing_model: dict[str, Any] | None = figure("sizingModel")
    best_latency_in_ms: float | None = figure("bestLatencyInMs")
    best_latency_by: str | None = figure("bestLatencyBy")
    # -- where to run it: a VM size and count, and its cost (servesize.deploy) ---------
    #: the SKU chosen for the target, its instance count and every SKU considered
    deployment: dict[str, Any] | None = figure("deployment")
    #: cost per hour / per million requests (and per day of a traffic plan); only with
    #: prices the user gave
    cost: dict[str, Any] | None = figure("cost")
    # -- verdict and outcome ---------------------------------------------------------
    validity: str | None = figure("validity")
    validity_reasons: list[str] | None = figure("validityReasons")
    error: ErrorInfo | None = figure("error", group=ErrorInfo)
    oom_killed: bool | None = figure("oomKilled")
    oom_note: str | None = figure("oomNote")
    #: the process running the profile died before it finished (state ``Failed``)
    interrupted: bool | None = figure("interrupted")
    profile_seconds: float | None = figure("profileSeconds")
    completed_time: str | None = figure("completedTime")
    # -- where a sweep ran it (servesize sweep): node, its cores, when they were held ----
    node: str | None = figure("node")
    node_address: str | None = figure("nodeAddress")
    ray_node_id: str | None = figure("rayNodeId")
    node_cpus: list[int] | None = figure("nodeCpus")
    sweep_runner: str | None = figure("sweepRunner")
    trial_start_time: str | None = figure("trialStartTime")
    trial_end_time: str | None = figure("trialEndTime")
    # -- sizing for a trace (servesize profile plan; docs/planning.md) -----------------
    #: the trace's summary (servesize.load's TraceSummary.to_dict())
    traffic: dict[str, Any] | None = figure("traffic")
    autoscaling: Autoscaling | None = figure("autoscaling", group=Autoscaling)
    #: stored keys this version does not know (kept, written back unchanged)
    extra: dict[str, Any] = field(default_factory=dict)
