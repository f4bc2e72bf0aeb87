"""The procedure of docs/profiling.md, run once for one stored profile.

cold start -> warm-up -> capacity search -> measurement -> recommendation ->
confirmation under the recommended limits -> verdict.  Every figure measured so far
is kept in ``self.figures`` (typed: ``servesize.workspace.Figures``) so a failure, a
crash or Ctrl-C still stores them.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import servesize.profiling._service as _service
from servesize.environments import BuiltEnvironment
from servesize.errors import CancelledError, ServesizeError, ServiceError
from servesize.load import LoadResult, LoadSpec, run_load
from servesize.profiling._attached import AttachedService, not_measured
from servesize.profiling._mlflow import completed_note
from servesize.profiling._usage import UsageRecommendation
from servesize.profiling.capacity import CapacityResult, error_counts, search
from servesize.profiling.launcher import Service
from servesize.profiling.phases import PhaseFigures
from servesize.profiling.recommend import after_oom_gb
from servesize.profiling.request import ProfileRequest
from servesize.profiling.sampler import Sampler
from servesize.profiling.servers import AttachedUrl, Endpoint, ServerCommand
from servesize.profiling.settings import GIB
from servesize.profiling.sizing.phase import LowLoad, SizingPhase, objective_of
from servesize.profiling.sizing.trials import Allocation, Trial, allocation_for
from servesize.profiling.speed import SpeedProbe
from servesize.profiling.verdict import judge_run, verdict
from servesize.serving import read_run_errors
from servesize.workspace import ErrorInfo, Figures, Store, Warmup

__all__ = ["PHASES", "FinishFn", "ProfileRun", "ProgressFn"]

PHASES = ("prepare", "coldstart", "warmup", "capacity", "measurement", "sizing", "confirmation")

#: ``progress(phase, fraction_done, text)``; called from the profiling thread.
ProgressFn = Callable[[str, float, str], None]
#: called with the final figures just before they are stored, whatever the outcome (the
#: SDK's choice of a deployment, servesize.deploy); what it raises is logged, not raised
FinishFn = Callable[[Figures], None]


class ProfileRun:
    """One execution of the procedure; ``execute()`` returns the final state."""

    def __init__(
        self,
        store: Store,
        request: ProfileRequest,
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        finish: FinishFn | None = None,
    ) -> None:
        self.store = store
        self._finish = finish
        self.request = request
        self.settings = request.settings
        self.cancel = cancel or threading.Event()
        self._progress = progress or (lambda phase, fraction, text: None)
        self.figures = Figures()
        self.series: dict[str, list[dict[str, Any]]] = {}
        self.log_path = store.profile_log_path(request.name).resolve()
        #: set once the final state is stored (after a Ctrl-C, is_alive() can be wrong)
        self.finished = threading.Event()
        self._runs: list[_Running] = []  # each launch of the service, in order
        self._seeds = itertools.count(self.settings.seed or 0)  # open-loop schedules
        self._bodies: list[bytes] = []
        self._workdir: Path | None = None
        self._plan: _service.Plan | None = None
        self._low_load: LowLoad | None = None
        self._usage = UsageRecommendation(self)
        self._environment: BuiltEnvironment | None = None
        self._speed: SpeedProbe | None = None  # the service's CPU's speed, run by run
        self._deadline = time.monotonic() + self.settings.max_profile_seconds
        server = request.server
        self.endpoint = server.endpoint if server is not None else Endpoint()
        #: a service at a URL: no limits, CPU and memory only with its pid
        self.attached = isinstance(server, AttachedUrl)
        self.sampled = not isinstance(server, AttachedUrl) or server.pid is not None
        #: the measurement's load metrics and sampled CPU figures, for the verdict
        self._measured: tuple[Mapping[str, Any], PhaseFigures] = ({}, PhaseFigures("measurement"))

    # -- the whole run -------------------------------------------------------------

    def execute(self) -> str:
        state = "Failed"
        started = time.monotonic()
        try:
            self.store.profiles.update(self.request.name, state="Running")
            self._run()
            state = "Succeeded"
        except _TimedOut:
            state = "TimedOut"
            limit = self.settings.max_profile_seconds
            self.figures.error = ErrorInfo(f"the profile did not finish within {limit:g} s")
        except (CancelledError, KeyboardInterrupt):
            state = "Cancelled"
            self.figures.error = ErrorInfo("the profile was cancelled by the user")
        except ServesizeError as exc:
            self.figures.error = ErrorInfo(str(exc), type(exc).__name__)
        except Exception as exc:  # a bug of ours: keep the traceback in the service log
            self._log(traceback.format_exc())
            self.figures.error = ErrorInfo(f"internal error: {exc!r}", "InternalError")
        finally:
            self._teardown()
            self._note_oom()
            # run() failures, counted by the host per (type, message) instead of logged each
            self.figures.run_errors = read_run_errors(self.log_path) or None
            self.figures.profile_seconds = round(time.monotonic() - started, 3)
            self.figures.completed_time = datetime.now(UTC).isoformat()
            try:
                self._store(state)
            finally:
                self.finished.set()
        return state

    def _run(self) -> None:
        s = self.settings
        self._phase("prepare", 0.0, "resolving models and dataset")
        workdir, self._bodies = _service.prepare_inputs(self.store, self.request)
        self._workdir = workdir
        plan = self._plan = _service.plan(self.request)
        plan.fill(self.figures)
        if self.request.server is not None:
            self.figures.server = self.request.server.to_dict()
        self.figures.environment_note = self.request.environment_note
        if self.attached:
            gaps = not_measured(self.sampled)
            self.figures.not_measured = gaps
            self.figures.clear_keys(set(gaps))
        self.figures.machine = _service.machine_facts()
        self.figures.settings = s.to_dict()
        # the upper bound of the sizing search: the limits given, or what the machine gives
        bound = allocation_for(plan.cpu or float(len(plan.service_cpus) or 1), s.workers)
        self.figures.workers = bound.workers
        if self.request.missing_requirements:
            self.figures.missing_requirements = list(self.request.missing_requirements)
        if self.request.environment is not None:
            self._phase("prepare", 0.5, f"environment {self.request.environment.name or ''}")
        self._environment = _service.prepare_environment(
            self.store, self.request, self.cancel.is_set
        )
        self.figures.environment = self._environment.figure()
        self.figures.environment_note = completed_note(
            self.request.environment_note, self._environment
        )
        if self._environment.cached is False:
            self._phase("prepare", 0.8, "first start in the new environment (bytecode)")
            seconds = _service.first_start(
                self.request, workdir, self.log_path, plan.service_cpus, self._environment
            )
            self.figures.environment.first_start_seconds = round(seconds, 3)
        self._speed = None if self.attached else SpeedProbe.start(plan.service_cpus)
        with _service.generator_affinity(plan.generator_cpus):
            run = self._start_allocation("coldstart", bound, plan.memory_bytes)
            self.figures.limits_enforced = run.service.limits_enforced
            self.figures.limits_note = run.service.limits_note
            self._warmup(run)
            capacity = self._capacity(run)
            rate = s.qps or max(capacity.sustainable_qps * s.target_load, 0.0)
            if rate <= 0:
                raise ServiceError(
                    "no request succeeded during the capacity search "
                    f"({_errors_text(self.figures.capacity_errors)}); see the log"
                )
            self.figures.requested_queries_per_second = round(rate, 3)
            if not self.sampled:  # a running service nobody samples: latency only
                self._measure(run, rate)
                run.stop()
                held_reasons: list[str] = []
            else:
                trial = self._measure(run, rate)
                rec = self._usage.recommend(run.sampler)
                if self._can_size():
                    self._phase("sizing", 0.0, "searching allocations")
                    sizing = SizingPhase(self, run, plan.memory_bytes)
                    assert self._low_load is not None
                    cpq = float(self.figures.cpu_seconds_per_query or 0.0)
                    windows = self.series["windows"]
                    held_reasons = sizing.run(self._low_load, trial, windows, cpq)
                    if self.figures.confirmation is None and self.figures.recommended_cpu:
                        # the default objective was out of reach: the usage-based
                        # recommendation stands, confirmed the way it always was
                        held_reasons = self._usage.confirm(rec, rate)
                else:
                    run.stop()
                    held_reasons = self._usage.confirm(rec, rate)
        self._verdict(capacity, held_reasons)

    def _can_size(self) -> bool:
        """Sizing tries other limits: it needs enforced ones and the low-load step."""
        if self.attached:
            self.figures.sizing_note = "a running service: other allocations cannot be tried"
            return False
        if not self.settings.sizing:
            self.figures.sizing_note = "sizing is off: the recommendation is the usage measured"
            return False
        if not self.figures.limits_enforced:
            self.figures.sizing_note = (
                "limits cannot be enforced here, so other allocations could not be tried; "
                "the recommendation is the usage measured"
            )
            return False
        return self._low_load is not None

    # -- phases --------------------------------------------------------------------

    def _start_allocation(
        self, phase: str, alloc: Allocation, memory_bytes: int | None
    ) -> _Running:
        """Launch the service under ``alloc`` (cores, workers, threads) and ``memory_bytes``."""
        assert self._plan is not None
        assert self._workdir is not None
        self._phase(phase, 0.0, "starting the service")
        service, url = _service.launch_service(
            self.request,
            self._workdir,
            self.log_path,
            alloc.cores,
            memory_bytes,
            self._plan.service_cpus,
            self._environment,
            workers=alloc.workers,
            threads=alloc.threads if self.settings.match_threads else None,
        )
        sampler = Sampler(service, interval=self.settings.sample_interval)
        sampler.phase = phase
        sampler.start()
        limit = memory_bytes if service.limits_enforced else None
        run = _Running(service, sampler, url, limit, alloc)
        self._runs.append(run)
        deadline = time.monotonic() + self.settings.startup_timeout
        seconds = run.ready_seconds = self._wait_ready(run, deadline)
        if phase == "coldstart" and self.sampled:
            if not self.attached:
                self.figures.cold_start_seconds = round(seconds, 3)
            self.figures.idle_memory_in_gb = round(service.memory_bytes() / GIB, 4)
        if phase == "coldstart" and self.request.server is None:
            # The server's own share of it: a no-op script's host under the same limits
            # (only servesize's host has such a twin; another server has no no-op form).
            with contextlib.suppress(ServesizeError):
                host = _service.host_idle_memory(
                    self.request,
                    self._workdir,
                    alloc.cores,
                    memory_bytes,
                    self._plan.service_cpus,
                    self._environment,
                    workers=alloc.workers,
                    threads=alloc.threads if self.settings.match_threads else None,
                )
                self.figures.host_idle_memory_in_gb = round(host / GIB, 4)
        if phase != "coldstart":  # the first service's warm-up is a phase of its own
            settings, bodies = self.settings, self._bodies
            _service.warm(run.url, bodies, self.endpoint, alloc.workers, settings, sampler)
        self._phase(phase, 1.0, f"ready after {seconds:.2f} s")
        return run

    def _wait_ready(self, run: _Running, deadline: float) -> float:
        # wait in short slices so Ctrl-C and cancel() are honoured during a slow init()
        while True:
            self._check_cancel()
            slice_end = min(deadline, time.monotonic() + 0.5)
            try:
                health = self.endpoint.health_path
                return run.service.wait_ready(
                    run.url + (health or "/"),
                    max(slice_end - time.monotonic(), 0.01),
                    port_only=health is None,
                )
            except ServiceError as exc:
                if run.service.poll() is not None:
                    raise
                if time.monotonic() >= deadline:
                    # the last slice's message names the slice: name the whole wait
                    first, _, tail = str(exc).partition("\n")
                    whole = f"the {self.settings.startup_timeout:g} s startup timeout"
                    first = re.sub(r"the [0-9.]+ s deadline", whole, first)
                    server = self.request.server
                    if isinstance(server, ServerCommand) and "{port}" not in " ".join(server.argv):
                        first += " (the command has no {port}: does the server listen on $PORT?)"
                    raise ServiceError("\n".join(filter(None, (first, tail)))) from None

    def _warmup(self, run: _Running) -> None:
        s = self.settings
        self._phase("warmup", 0.0, f"sending each of {len(self._bodies)} rows once")
        result = self._load(
            "warmup",
            run,
            expected=min(s.warmup_max_seconds, len(self._bodies) * 0.01 + 1),
            limit=s.warmup_max_seconds,
            concurrency=run.allocation.workers,
            duration=0.0,
            min_queries=len(self._bodies),
        )
        m = result.metrics
        warmup = Warmup()
        warmup.take_load_metrics(m)
        warmup.errors_by_kind = warmup.errors_by_kind or None
        self.figures.warmup = warmup
        statuses = {str(x) for x in m.get("errorsByStatus") or {}}
        if not m.get("successQueries") and statuses and statuses <= {"404", "405"}:
            e = self.endpoint
            raise ServiceError(
                f"every request to {e.method} {e.score_path} got HTTP "
                f"{'/'.join(sorted(statuses))}: is the score path "
                "(--score-path) or the method (--method) right?"
            )

    def _capacity(self, run: _Running) -> CapacityResult:
        s = self.settings

        def step(concurrency: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            self._phase("capacity", 0.0, f"concurrency {concurrency}")
            cpu = run.service.cpu_seconds()
            result = self._load(
                "capacity",
                run,
                expected=s.capacity_step_seconds,
                concurrency=concurrency,
                duration=s.capacity_step_seconds,
            )
            if self.sampled and run.service.limits_enforced:  # a flat step at the quota ends it
                seconds = float(result.metrics.get("durationSeconds") or s.capacity_step_seconds)
                used = (run.service.cpu_seconds() - cpu) / seconds
                result.metrics["quotaShareUsed"] = round(used / run.allocation.cores, 4)
            if result.metrics.get("successRate", 1.0) < 1.0:
                self.figures.capacity_errors = error_counts(result.metrics)
            if concurrency == 1:
                self._low_load = LowLoad(dict(result.metrics), list(result.latency_histogram))
            return result.metrics, result.windows

        capacity = search(step, s, should_stop=self.cancel.is_set)
        self._check_cancel()
        self.series["capacity"] = [st.to_row() for st in capacity.steps]
        self.figures.capacity_stop_reason = capacity.stop_reason
        if capacity.best is not None:
            self.figures.max_sustainable_queries_per_second = round(capacity.best.qps, 3)
            self.figures.capacity_concurrency = capacity.best.concurrency
        self._phase("capacity", 1.0, f"sustainable {capacity.sustainable_qps:.1f}/s")
        return capacity

    def _measure(self, run: _Running, rate: float) -> Trial:
        """The measurement phase; also the sizing's first trial (at the bound)."""
        s = self.settings
        expected = max(s.min_duration, s.min_queries / rate if rate else 0.0)
        self._phase("measurement", 0.0, f"{rate:.1f} queries/s, {s.arrival}")
        # the objective's limit is counted per window, so the sizing can judge this run
        # (at the bound) as it judges its trials
        threshold = None
        if self._low_load is not None:
            threshold = objective_of(s, self._low_load).limit_ms
        cpu_before = run.service.cpu_seconds()
        first_sample = len(run.sampler.samples)
        result = self._load(
            "measurement",
            run,
            expected=expected,
            rate=rate,
            arrival=s.arrival,
            duration=s.min_duration,
            min_queries=s.min_queries or None,
            threshold_ms=threshold,
        )
        cpu_used = run.service.cpu_seconds() - cpu_before
        m = result.metrics
        self.figures.take_load_metrics(m)
        self._measured = (m, run.sampler.phase_figures("measurement"))
        self._measured[1].put_into(self.figures)
        successes = int(self.figures.success_queries or 0)
        if not self.sampled:
            successes = 0  # no process sampled: the CPU figures would read 0, not unknown
        if successes:
            self.figures.cpu_seconds_per_query = round(cpu_used / successes, 6)
        seconds = float(self.figures.duration_seconds or 0.0)
        if seconds > 0 and self.sampled:
            self.figures.average_utilized_cpu = round(cpu_used / seconds, 4)
        self.series["windows"] = [{**w, "phase": "measurement"} for w in result.windows]
        self.series["latency_histogram"] = [
            {"upperMs": upper, "count": count} for upper, count in result.latency_histogram
        ]
        share = self._measured[1].throttled_share
        peak = max((r["memoryInGB"] for r in run.sampler.samples[first_sample:]), default=None)
        utilized = self.figures.average_utilized_cpu
        return Trial(
            run.allocation, rate, None, False, dict(m), utilized_cpu=utilized,
            throttled_share=share, peak_memory_gb=peak, phase="measurement",
        )  # fmt: skip

    def _verdict(self, capacity: CapacityResult, extra: list[str]) -> None:
        f, s = self.figures, self.settings
        metrics, figures = self._measured
        measurement = judge_run(
            metrics,
            settings=s,
            min_duration=s.min_duration,
            min_queries=s.min_queries,
            figures=figures,
        )
        validity, reasons = verdict(
            measurement,
            capacity_stable=capacity.stable,
            extra=extra,
        )
        f.validity = validity
        f.validity_reasons = reasons

    # -- plumbing ------------------------------------------------------------------

    def _runs_list(self) -> list[_Running]:
        return self._runs

    def _load(
        self,
        phase: str,
        run: _Running,
        *,
        expected: float,
        limit: float | None = None,
        watch: Callable[[dict[str, Any]], bool] | None = None,
        **spec: Any,
    ) -> LoadResult:
        """One load run (the dataset's rows, or ``bodies``), stopped early if the service
        dies or on cancel; ``watch(snapshot)`` returning True (once a second) ends it."""
        self._check_cancel()
        self._check_alive(run.service, phase)
        run.sampler.phase = phase
        stop = threading.Event()
        finish = threading.Event()
        started = time.monotonic()

        def progress(snapshot: dict[str, Any]) -> None:
            elapsed = time.monotonic() - started
            self._phase(phase, min(elapsed / expected, 0.99) if expected else 0.5, "")
            if watch is not None and not finish.is_set() and watch(snapshot):
                finish.set()

        if "rate" in spec and self.settings.seed is not None:
            spec["seed"] = next(self._seeds)
        with self._watch(run.service, stop, started + limit if limit else None):
            result = run_load(
                LoadSpec(
                    url=run.url + self.endpoint.score_path,
                    bodies=spec.pop("bodies", None) or self._bodies,
                    method=self.endpoint.method,
                    headers={"Content-Type": self.endpoint.content_type},
                    timeout=self.settings.request_timeout,
                    # an open loop keeps its schedule only if this process's threads
                    # (sampler, watcher, display) cannot hold its GIL: own process
                    isolated="rate" in spec,
                    **spec,
                ),
                progress=progress,
                stop=stop,
                finish=finish,
            )
        if self._speed is not None:
            result.metrics.update(self._speed.run_metrics(started, time.monotonic()))
        self._check_cancel()
        self._check_alive(run.service, phase)
        return result

    @contextlib.contextmanager
    def _watch(
        self, service: Service | AttachedService, stop: threading.Event, deadline: float | None
    ) -> Iterator[None]:
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.05):
                now = time.monotonic()
                late = (deadline is not None and now > deadline) or now > self._deadline
                if self.cancel.is_set() or service.poll() is not None or late:
                    stop.set()
                    return

        thread = threading.Thread(target=watch, name="servesize-watch", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise CancelledError("cancelled")
        if time.monotonic() > self._deadline:
            raise _TimedOut

    def _check_alive(self, service: Service | AttachedService, phase: str) -> None:
        if (code := service.poll()) is not None:
            how = " after an OOM kill" if service.oom_killed else ""
            raise ServiceError(f"the service exited with code {code}{how} during {phase}")

    def _phase(self, phase: str, fraction: float, text: str) -> None:
        self._progress(phase, fraction, text)

    def _teardown(self) -> None:
        offset0 = self._runs[0].service.spawned_at if self._runs else 0.0
        samples: list[dict[str, Any]] = []
        for run in self._runs:
            # separately: a sampler that fails to stop must not keep the service alive
            with contextlib.suppress(Exception):
                run.sampler.stop()
            with contextlib.suppress(Exception):
                run.service.stop()
            shift = run.service.spawned_at - offset0
            samples.extend({**row, "t": round(row["t"] + shift, 3)} for row in run.sampler.samples)
        if samples:
            self.series["samples"] = samples
        phases = {f.phase: f.to_details() for run in self._runs for f in run.sampler.phases()}
        self.figures.phase_figures = phases or None
        if self._speed is not None:
            self.figures.machine_speed = self._speed.finish(self.series, self._measured[0])
        if self._workdir is not None:
            # the materialised model copies: the workspace keeps the originals
            shutil.rmtree(self._workdir, ignore_errors=True)
        if self._runs and self.figures.max_utilized_memory_in_gb is None:
            peak = self._runs[0].sampler.peak_memory_bytes
            if peak:
                self.figures.max_utilized_memory_in_gb = round(peak / GIB, 4)

    def _note_oom(self) -> None:
        if self.attached:
            return  # not servesize's limit: listed under notMeasured
        killed = [run for run in self._runs if run.service.oom_killed]
        self.figures.oom_killed = bool(killed)
        if not killed:
            return
        first = killed[0]
        limit = first.memory_limit
        if limit:
            bumped = after_oom_gb(limit, self.settings)
            # killed under the bound's memory (the first launch or a sizing trial): the
            # bound was too small; the confirmation's own OOM is handled by the sizing
            if first is self._runs[0] or limit == self._runs[0].memory_limit:
                self.figures.recommended_memory_in_gb = bumped
            self.figures.oom_note = (
                f"the service was OOM-killed under its {limit / GIB:.2f} GB limit; "
                f"memory is recommended at {bumped:g} GB (max(limit x 1.2, limit + 100 MiB))"
            )

    def _log(self, text: str) -> None:
        with contextlib.suppress(OSError), open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(f"\n[servesize] {text}\n")

    def _store(self, state: str) -> None:
        if self._finish is not None:
            # stored in the same update as the final state, so a reader never sees a
            # Succeeded profile without it; a bug there must not lose what was measured
            try:
                self._finish(self.figures)
            except Exception:
                self._log(traceback.format_exc())
        for kind, rows in self.series.items():
            self.store.profiles.put_series(self.request.name, kind, rows)
        self.store.profiles.update(
            self.request.name, state=state, details=self.figures.to_details()
        )


@dataclass
class _Running:
    """One launch of the service with its sampler, its URL and its enforced memory limit."""

    service: Service | AttachedService
    sampler: Sampler
    url: str
    memory_limit: int | None
    allocation: Allocation
    ready_seconds: float = 0.0  # from the launch to the first answer (its cold start)

    def stop(self) -> None:
        self.sampler.stop()
        self.service.stop()


class _TimedOut(Exception):
    """The profile ran past ``max_profile_seconds``."""


def _errors_text(errors: Any) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) if errors else "no response"
