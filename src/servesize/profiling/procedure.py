"""The procedure of spec/profiling.md, run once for one stored profile.

cold start -> warm-up -> capacity search -> measurement -> recommendation ->
confirmation under the recommended limits -> verdict.  Every figure measured so far
is kept in ``self.details`` so a failure, a crash or Ctrl-C still stores them.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import servesize.profiling._service as _service
from servesize.errors import CancelledError, ServesizeError, ServiceError
from servesize.load import LoadResult, LoadSpec, run_load
from servesize.profiling._sizing_phase import LowLoad, SizingPhase
from servesize.profiling._throttle import throttle_counts
from servesize.profiling.capacity import CapacityResult, search
from servesize.profiling.launcher import Service
from servesize.profiling.recommend import Recommendation, after_oom_gb, recommend, verdict
from servesize.profiling.request import ProfileRequest
from servesize.profiling.sampler import Sampler
from servesize.profiling.settings import GIB
from servesize.profiling.sizing import Allocation, Trial, allocation_for
from servesize.workspace import Store

__all__ = ["PHASES", "ProfileRun", "ProgressFn"]

PHASES = ("prepare", "coldstart", "warmup", "capacity", "measurement", "sizing", "confirmation")

#: ``progress(phase, fraction_done, text)``; called from the profiling thread.
ProgressFn = Callable[[str, float, str], None]

_LOAD_KEYS = (
    "totalQueries",
    "successQueries",
    "successRate",
    "averageLatencyInMs",
    "minLatencyInMs",
    "maxLatencyInMs",
    "serviceTimeAverageInMs",
    "latencyPercentile50InMs",
    "latencyPercentile90InMs",
    "latencyPercentile95InMs",
    "latencyPercentile99InMs",
    "latencyPercentile999InMs",
    "measuredQueriesPerSecond",
    "serviceTimePercentile50InMs",
    "serviceTimePercentile90InMs",
    "serviceTimePercentile95InMs",
    "serviceTimePercentile99InMs",
    "serviceTimePercentile999InMs",
    "errorsByStatus",
    "errorsByKind",
    "lateSendShare",
    "durationSeconds",
)


class ProfileRun:
    """One execution of the procedure; ``execute()`` returns the final state."""

    def __init__(
        self,
        store: Store,
        request: ProfileRequest,
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.store = store
        self.request = request
        self.settings = request.settings
        self.cancel = cancel or threading.Event()
        self._progress = progress or (lambda phase, fraction, text: None)
        self.details: dict[str, Any] = {}
        self.series: dict[str, list[dict[str, Any]]] = {}
        self.log_path = store.profile_log_path(request.name).resolve()
        #: set once the final state is stored (more reliable than Thread.join after a
        #: KeyboardInterrupt, which can leave is_alive() wrong)
        self.finished = threading.Event()
        self._runs: list[_Running] = []  # each launch of the service, in order
        self._bodies: list[bytes] = []
        self._workdir: Path | None = None
        self._plan: _service.Plan | None = None
        self._low_load: LowLoad | None = None
        self._deadline = time.monotonic() + self.settings.max_profile_seconds

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
            self.details["error"] = {"message": f"the profile did not finish within {limit:g} s"}
        except (CancelledError, KeyboardInterrupt):
            state = "Cancelled"
            self.details["error"] = {"message": "the profile was cancelled by the user"}
        except ServesizeError as exc:
            self.details["error"] = {"message": str(exc), "type": type(exc).__name__}
        except Exception as exc:  # a bug of ours: keep the traceback in the service log
            self._log(traceback.format_exc())
            self.details["error"] = {"message": f"internal error: {exc!r}", "type": "InternalError"}
        finally:
            self._teardown()
            self._note_oom()
            self.details["profileSeconds"] = round(time.monotonic() - started, 3)
            self.details["completedTime"] = datetime.now(UTC).isoformat()
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
        self.details.update(plan.details())
        self.details["machine"] = _service.machine_facts()
        self.details["settings"] = s.to_dict()
        # the upper bound of the sizing search: the limits given, or what the machine gives
        bound = allocation_for(plan.cpu or float(len(plan.service_cpus) or 1), s.workers)
        self.details["workers"] = bound.workers
        if self.request.missing_requirements:
            self.details["missingRequirements"] = list(self.request.missing_requirements)
        with _service.generator_affinity(plan.generator_cpus):
            run = self._start_allocation("coldstart", bound, plan.memory_bytes)
            self.details["limitsEnforced"] = run.service.limits_enforced
            self.details["limitsNote"] = run.service.limits_note
            self._warmup(run)
            capacity = self._capacity(run)
            rate = s.qps or max(capacity.sustainable_qps * s.target_load, 0.0)
            if rate <= 0:
                raise ServiceError(
                    "no request succeeded during the capacity search "
                    f"({_errors_text(self.details.get('capacityErrors'))}); see the log"
                )
            self.details["requestedQueriesPerSecond"] = round(rate, 3)
            measured, trial = self._measure(run, rate)
            rec = self._recommend(run.sampler)
            if self._can_size():
                self._phase("sizing", 0.0, "searching allocations")
                sizing = SizingPhase(self, run, plan.memory_bytes)
                assert self._low_load is not None
                cpq = float(self.details.get("cpuSecondsPerQuery") or 0.0)
                held_reasons = sizing.run(self._low_load, trial, cpq)
            else:
                run.stop()
                held_reasons = self._confirm(rec, rate, measured)
        self._verdict(capacity, rate, measured, held_reasons)

    def _can_size(self) -> bool:
        """Sizing tries other limits: it needs enforced ones and the low-load step."""
        s = self.settings
        if not s.sizing:
            self.details["sizingNote"] = "sizing is off: the recommendation is the usage measured"
            return False
        if not self.details.get("limitsEnforced"):
            self.details["sizingNote"] = (
                "limits cannot be enforced here, so other allocations could not be tried; "
                "the recommendation is the usage measured"
            )
            return False
        return self._low_load is not None

    # -- phases --------------------------------------------------------------------

    def _start_allocation(
        self,
        phase: str,
        alloc: Allocation,
        memory_bytes: int | None,
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
        seconds = self._wait_ready(run, deadline)
        if phase == "coldstart":
            self.details["coldStartSeconds"] = round(seconds, 3)
            self.details["idleMemoryInGB"] = round(service.memory_bytes() / GIB, 4)
        self._phase(phase, 1.0, f"ready after {seconds:.2f} s")
        return run

    def _wait_ready(self, run: _Running, deadline: float) -> float:
        # wait in short slices so Ctrl-C and cancel() are honoured during a slow init()
        while True:
            self._check_cancel()
            slice_end = min(deadline, time.monotonic() + 0.5)
            try:
                return run.service.wait_ready(run.url, max(slice_end - time.monotonic(), 0.01))
            except ServiceError:
                if run.service.poll() is not None or time.monotonic() >= deadline:
                    raise

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
        self.details["warmup"] = {
            "totalQueries": m.get("totalQueries"),
            "successRate": m.get("successRate"),
            "errorsByKind": m.get("errorsByKind") or None,
        }

    def _capacity(self, run: _Running) -> CapacityResult:
        s = self.settings

        def step(concurrency: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            self._phase("capacity", 0.0, f"concurrency {concurrency}")
            result = self._load(
                "capacity",
                run,
                expected=s.capacity_step_seconds,
                concurrency=concurrency,
                duration=s.capacity_step_seconds,
            )
            if result.metrics.get("successRate", 1.0) < 1.0:
                self.details["capacityErrors"] = {
                    **(result.metrics.get("errorsByKind") or {}),
                    **{
                        f"HTTP {k}": v
                        for k, v in (result.metrics.get("errorsByStatus") or {}).items()
                    },
                }
            if concurrency == 1:
                self._low_load = LowLoad(dict(result.metrics), list(result.latency_histogram))
            return result.metrics, result.windows

        capacity = search(step, s, should_stop=self.cancel.is_set)
        self._check_cancel()
        self.series["capacity"] = [st.to_row() for st in capacity.steps]
        self.details["capacityStopReason"] = capacity.stop_reason
        if capacity.best is not None:
            self.details["maxSustainableQueriesPerSecond"] = round(capacity.best.qps, 3)
            self.details["capacityConcurrency"] = capacity.best.concurrency
        self._phase("capacity", 1.0, f"sustainable {capacity.sustainable_qps:.1f}/s")
        return capacity

    def _measure(self, run: _Running, rate: float) -> tuple[dict[str, Any], Trial]:
        s = self.settings
        expected = max(s.min_duration, s.min_queries / rate if rate else 0.0)
        self._phase("measurement", 0.0, f"{rate:.1f} queries/s, {s.arrival}")
        cpu_before = run.service.cpu_seconds()
        throttle_before = throttle_counts(run.service)
        first_sample = len(run.sampler.samples)
        result = self._load(
            "measurement",
            run,
            expected=expected,
            rate=rate,
            arrival=s.arrival,
            duration=s.min_duration,
            min_queries=s.min_queries or None,
        )
        cpu_used = run.service.cpu_seconds() - cpu_before
        m = result.metrics
        self.details.update({k: m.get(k) for k in _LOAD_KEYS})
        successes = int(m.get("successQueries") or 0)
        if successes:
            self.details["cpuSecondsPerQuery"] = round(cpu_used / successes, 6)
        seconds = float(m.get("durationSeconds") or 0.0)
        if seconds > 0:
            self.details["averageUtilizedCpu"] = round(cpu_used / seconds, 4)
        self.series["windows"] = [{**w, "phase": "measurement"} for w in result.windows]
        self.series["latency_histogram"] = [
            {"upperMs": upper, "count": count} for upper, count in result.latency_histogram
        ]
        after = throttle_counts(run.service)
        share = after.share_since(throttle_before) if after else None
        if share is not None:
            self.details["throttledShare"] = share
        peak = max((r["memoryInGB"] for r in run.sampler.samples[first_sample:]), default=None)
        trial = Trial(
            run.allocation,
            rate,
            None,
            False,
            dict(m),
            utilized_cpu=self.details.get("averageUtilizedCpu"),
            throttled_share=share,
            peak_memory_gb=peak,
            phase="measurement",
        )
        return m, trial

    def _recommend(self, sampler: Sampler) -> Recommendation:
        per_second = sampler.per_second("measurement")
        if per_second:
            self.details["maxUtilizedCpu"] = round(max(per_second), 4)
        peak = sampler.peak_memory_bytes
        self.details["maxUtilizedMemoryInGB"] = round(peak / GIB, 4)
        rec = recommend(per_second, peak, self.settings)
        self.details["recommendedCpu"] = rec.cpu
        self.details["recommendedMemoryInGB"] = rec.memory_gb
        return rec

    def _confirm(
        self,
        rec: Recommendation,
        rate: float,
        measured: dict[str, Any],
    ) -> list[str]:
        """Re-run under the recommended limits; return the reasons it did not hold."""
        s = self.settings
        if not s.confirm:
            return []
        if not self.details.get("limitsEnforced"):
            self.details["confirmation"] = {
                "skipped": "limits cannot be enforced on this machine, so the recommended "
                "limits could not be tried"
            }
            return []
        memory = int(rec.memory_gb * GIB)
        info: dict[str, Any] = {"requestedCpu": rec.cpu, "requestedMemoryInGB": rec.memory_gb}
        self.details["confirmation"] = info
        try:
            assert self._runs
            alloc = allocation_for(rec.cpu, self.settings.workers)
            run = self._start_allocation("confirmation", alloc, memory)
            result = self._load(
                "confirmation",
                run,
                expected=s.confirm_duration,
                rate=rate,
                arrival=s.arrival,
                duration=s.confirm_duration,
            )
        except ServiceError as exc:
            info["held"] = False
            oom = " (OOM-killed)" if self._runs[-1].service.oom_killed else ""
            info["error"] = f"{exc}{oom}"
            return [f"the service did not run under the recommended limits{oom}: {exc}"]
        m = result.metrics
        info.update(
            {
                "totalQueries": m.get("totalQueries"),
                "successRate": m.get("successRate"),
                "measuredQueriesPerSecond": m.get("measuredQueriesPerSecond"),
                "latencyPercentile90InMs": m.get("latencyPercentile90InMs"),
                "latencyPercentile99InMs": m.get("latencyPercentile99InMs"),
            }
        )
        self.details["recommendationLatencyInMs"] = m.get("latencyPercentile90InMs")
        reasons = []
        if float(m.get("successRate") or 0) < float(measured.get("successRate") or 0) - 0.01:
            reasons.append(
                f"under the recommended limits the success rate fell to {m.get('successRate'):.1%}"
            )
        achieved = float(m.get("measuredQueriesPerSecond") or 0)
        if rate and abs(achieved - rate) / rate > s.max_rate_error:
            reasons.append(
                f"under the recommended limits the service served {achieved:.1f}/s "
                f"of the {rate:.1f}/s asked"
            )
        info["held"] = not reasons
        return reasons

    def _verdict(
        self, capacity: CapacityResult, rate: float, measured: dict[str, Any], extra: list[str]
    ) -> None:
        validity, reasons = verdict(
            duration=float(measured.get("durationSeconds") or 0.0),
            queries=int(measured.get("totalQueries") or 0),
            late_share=float(measured.get("lateSendShare") or 0.0),
            requested_rate=rate,
            measured_rate=float(measured.get("measuredQueriesPerSecond") or 0.0),
            capacity_stable=capacity.stable,
            settings=self.settings,
            extra=[f"the recommendation did not hold: {r}" for r in extra],
        )
        self.details["validity"] = validity
        self.details["validityReasons"] = reasons

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
        **spec: Any,
    ) -> LoadResult:
        """One run of the load generator, stopped early if the service dies or on cancel."""
        self._check_cancel()
        self._check_alive(run.service, phase)
        run.sampler.phase = phase
        stop = threading.Event()
        started = time.monotonic()

        def progress(_snapshot: Any) -> None:
            elapsed = time.monotonic() - started
            self._phase(phase, min(elapsed / expected, 0.99) if expected else 0.5, "")

        with self._watch(run.service, stop, started + limit if limit else None):
            result = run_load(
                LoadSpec(
                    url=run.url + "/score",
                    bodies=self._bodies,
                    headers={"Content-Type": "application/json"},
                    timeout=self.settings.request_timeout,
                    **spec,
                ),
                progress=progress,
                stop=stop,
            )
        self._check_cancel()
        self._check_alive(run.service, phase)
        return result

    @contextlib.contextmanager
    def _watch(
        self, service: Service, stop: threading.Event, deadline: float | None
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

    def _check_alive(self, service: Service, phase: str) -> None:
        code = service.poll()
        if code is not None:
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
        if self._workdir is not None:
            # the materialised model copies: the workspace keeps the originals
            shutil.rmtree(self._workdir, ignore_errors=True)
        if self._runs and "maxUtilizedMemoryInGB" not in self.details:
            peak = self._runs[0].sampler.peak_memory_bytes
            if peak:
                self.details["maxUtilizedMemoryInGB"] = round(peak / GIB, 4)

    def _note_oom(self) -> None:
        killed = [run for run in self._runs if run.service.oom_killed]
        self.details["oomKilled"] = bool(killed)
        if not killed:
            return
        first = killed[0]
        limit = first.memory_limit
        if limit:
            bumped = after_oom_gb(limit, self.settings)
            # killed under the bound's memory (the first launch or a sizing trial): the
            # bound was too small; the confirmation's own OOM is handled by the sizing
            if first is self._runs[0] or limit == self._runs[0].memory_limit:
                self.details["recommendedMemoryInGB"] = bumped
            self.details["oomNote"] = (
                f"the service was OOM-killed under its {limit / GIB:.2f} GB limit; "
                f"memory is recommended at {bumped:g} GB (max(limit x 1.2, limit + 100 MiB))"
            )

    def _log(self, text: str) -> None:
        with contextlib.suppress(OSError), open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(f"\n[servesize] {text}\n")

    def _store(self, state: str) -> None:
        for kind, rows in self.series.items():
            self.store.profiles.put_series(self.request.name, kind, rows)
        self.store.profiles.update(self.request.name, state=state, details=self.details)


@dataclass
class _Running:
    """One launch of the service with its sampler, its URL and its enforced memory limit."""

    service: Service
    sampler: Sampler
    url: str
    memory_limit: int | None
    allocation: Allocation

    def stop(self) -> None:
        self.sampler.stop()
        self.service.stop()


class _TimedOut(Exception):
    """The profile ran past ``max_profile_seconds``."""


def _errors_text(errors: Any) -> str:
    if not errors:
        return "no response"
    return ", ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
