"""Replicas of a stored profile's service, relaunched under given limits.

A plan is confirmed on real replicas (docs/planning.md): the profile's own model,
entry script, environment and dataset rows, each replica launched the way the
profiler launches its service (its own cgroup with the CPU quota and memory limit,
pinned to the service's CPUs, the generator kept on the others).  Everything comes
from the stored request (``ProfileRequest.to_dict()``), so a profile run yesterday
is relaunched as it was, provided its entry script and source directory are still
where they were.
"""

from __future__ import annotations

import contextlib
import math
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError, ServiceError
from servesize.profiling import _service
from servesize.profiling._attached import AttachedService
from servesize.profiling.limits import plan_cpus
from servesize.profiling.request import EnvironmentSpec, ProfileRequest
from servesize.profiling.sampler import Sampler
from servesize.profiling.servers import Endpoint
from servesize.profiling.settings import GIB, ProfileSettings
from servesize.profiling.speed import SpeedProbe
from servesize.profiling.verdict import contention_reasons
from servesize.workspace import Store

__all__ = ["Replicas", "launch_replicas", "replicas_that_fit", "request_from_record"]


def request_from_record(name: str, stored: Mapping[str, Any]) -> ProfileRequest:
    """The request a profile was run with, from its stored form; an
    ``InvalidInputError`` when it cannot be relaunched here (a server command or a
    URL; an entry script that is gone)."""
    if stored.get("server"):
        raise InvalidInputError(
            f"profile {name!r} profiled a server command or a URL: only an entry script's "
            "service can be relaunched"
        )
    script = stored.get("entryScript")
    if not script or not Path(script).is_file():
        raise InvalidInputError(f"profile {name!r}: its entry script {script!r} is not there")
    env = stored.get("environment") or None
    environment = None
    if env:
        environment = EnvironmentSpec(
            name=env.get("name"),
            version=env.get("version"),
            pip_requirements=tuple(env.get("pipRequirements") or ()),
            environment_variables=dict(env.get("environmentVariables") or {}),
            python=env.get("python"),
            user_managed=bool(env.get("userManagedDependencies")),
        )
    settings = ProfileSettings.from_kwargs(dict(stored.get("settings") or {}))
    source = stored.get("sourceDirectory")
    return ProfileRequest(
        name=name,
        model_ids=tuple(stored.get("modelIds") or ()),
        entry_script=Path(script),
        dataset_id=str(stored.get("inputDatasetId")),
        source_directory=Path(source) if source else None,
        environment=environment,
        settings=settings,
    )


#: the share of the service's CPUs replicas' quotas may add up to: a quota is a ceiling,
#: and replicas that fill a CPU between them wait for each other's turn, which the
#: profiled replica (alone on its CPUs) never did; measured: two 0.5-core replicas on
#: one CPU waited 8.7% of the time and their p99 rose from 18 to 32 ms
SHARE_OF_CPUS = 0.5


def replicas_that_fit(cores: float, cpus: int | None = None) -> int:
    """How many replicas of ``cores`` the service's CPUs hold without waiting for each
    other (their quotas within :data:`SHARE_OF_CPUS` of them; at least one)."""
    service = len(plan_cpus(None).service) if cpus is None else cpus
    return max(1, math.floor(service * SHARE_OF_CPUS / cores + 1e-9))


#: the sampler's phase while replicas run
PHASE = "replicas"


@dataclass(frozen=True)
class Replicas:
    """Running replicas: their score URLs, the dataset's bodies, the CPUs the load
    generator should keep to, and a sampler of each (CPU contention, throttling)."""

    urls: tuple[str, ...]
    bodies: tuple[bytes, ...]
    generator_cpus: tuple[int, ...]
    limits_enforced: bool
    samplers: tuple[Sampler, ...] = ()
    #: the CPU's speed beside the first replica (servesize.profiling.speed)
    speed: SpeedProbe | None = None

    def generator(self) -> contextlib.AbstractContextManager[None]:
        """Pin the calling thread to the generator's CPUs while the load runs."""
        return _service.generator_affinity(self.generator_cpus)

    def cpu_seconds(self) -> float | None:
        """CPU seconds the replicas have burnt so far, all told: each one's cgroup
        counter, or its process tree's where it has none (None without replicas)."""
        if not self.samplers:
            return None
        return sum(s.service.cpu_seconds() for s in self.samplers)

    def throttling(self) -> tuple[int, int, float] | None:
        """Periods, throttled periods and throttled seconds of every replica's quota
        while the replicas were measured (None where the kernel does not count them)."""
        found = [s.phase_figures(PHASE) for s in self.samplers]
        if not found or any(f.periods is None or f.throttled_periods is None for f in found):
            return None
        return (
            sum(f.periods or 0 for f in found),
            sum(f.throttled_periods or 0 for f in found),
            sum(f.throttled_seconds or 0.0 for f in found),
        )

    def busy_reasons(self, what: str = "confirmation") -> list[str]:
        """Why the run cannot be trusted because the machine was busy (the profile's own
        rule, docs/verdict.md): the worst replica's, if any."""
        found = [contention_reasons(s.phase_figures(PHASE), what) for s in self.samplers]
        return max(found, key=len, default=[])


@contextlib.contextmanager
def launch_replicas(
    store: Store,
    name: str,
    *,
    count: int,
    cpu: float,
    memory_gb: float | None,
    workers: int,
    threads: int | None,
) -> Iterator[Replicas]:
    """Start ``count`` replicas of profile ``name``'s service under ``cpu`` cores and
    ``memory_gb`` each, wait until all answer, and stop them all on exit."""
    record = store.profiles.get(name)
    request = request_from_record(name, record.request or record.record.get("request") or {})
    workdir, bodies = _service.prepare_inputs(store, request)
    environment = _service.prepare_environment(store, request)
    cpus = plan_cpus(None)
    log_path = store.profile_log_path(name).resolve()
    memory = int(memory_gb * GIB) if memory_gb else None
    started: list[Any] = []
    samplers: list[Sampler] = []
    speed = SpeedProbe.start(cpus.service)
    try:
        urls = []
        for _ in range(count):
            service, url = _service.launch_service(
                request, workdir, log_path, cpu, memory, cpus.service, environment,
                workers=workers, threads=threads,
            )  # fmt: skip
            started.append(service)
            urls.append(url)
        enforced = True
        for service, url in zip(started, urls, strict=True):
            if isinstance(service, AttachedService):  # not for an entry script
                raise ServiceError("a replica must be launched, not attached")
            service.wait_ready(url + "/", request.settings.startup_timeout)
            enforced = enforced and service.limits_enforced
        endpoint = request.server.endpoint if request.server is not None else Endpoint()
        for service, url in zip(started, urls, strict=True):
            sampler = Sampler(service, interval=request.settings.sample_interval)
            samplers.append(sampler.start())
            _service.warm(url, bodies, endpoint, workers, request.settings, sampler)
            sampler.phase = PHASE
        yield Replicas(
            tuple(u + "/score" for u in urls),
            tuple(bodies),
            tuple(cpus.generator),
            enforced,
            tuple(samplers),
            speed,
        )
    finally:
        if speed is not None:
            speed.stop()
        for sampler in samplers:
            with contextlib.suppress(Exception):
                sampler.stop()
        for service in started:
            with contextlib.suppress(Exception):
                service.stop()
        shutil.rmtree(workdir, ignore_errors=True)
