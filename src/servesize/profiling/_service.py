"""Glue between a profile request and the launcher: inputs, CPU plan, argv, environment."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import os
import platform
import shutil
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from servesize import __version__
from servesize.environments import BuiltEnvironment, EnvironmentCache, current_environment
from servesize.load import LoadSpec, run_load
from servesize.profiling._attached import AttachedService
from servesize.profiling.launcher import Service, launch
from servesize.profiling.limits import detect, plan_cpus
from servesize.profiling.request import ProfileRequest
from servesize.profiling.sampler import Sampler
from servesize.profiling.servers import AttachedUrl, Endpoint, ServerCommand
from servesize.profiling.settings import GIB, ProfileSettings
from servesize.workspace import Figures, Machine, Store

__all__ = [
    "THREAD_VARIABLES",
    "Plan",
    "cpu_model",
    "first_start",
    "generator_affinity",
    "host_idle_memory",
    "launch_service",
    "machine_facts",
    "plan",
    "prepare_environment",
    "prepare_inputs",
]


#: Thread pools a numpy/scikit-learn/PyTorch model sizes from its environment; left at
#: the machine's core count they overrun a fractional quota and are throttled.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Plan:
    """The limits the service runs under and the CPUs each side uses."""

    cpu: float | None
    memory_bytes: int | None
    service_cpus: tuple[int, ...]
    generator_cpus: tuple[int, ...]
    shared_cpus: bool

    def fill(self, figures: Figures) -> None:
        """Record the limits and the CPU split in the profile's figures."""
        figures.requested_cpu = self.cpu
        memory = self.memory_bytes
        figures.requested_memory_in_gb = round(memory / GIB, 3) if memory else None
        figures.service_cpus = list(self.service_cpus)
        figures.generator_cpus = list(self.generator_cpus)
        figures.cpus_shared = self.shared_cpus


def plan(request: ProfileRequest) -> Plan:
    """The user's limits, or what the machine can give (all CPUs but the load
    generator's, the memory available now)."""
    cpus = plan_cpus(request.cpu)
    cpu = request.cpu if request.cpu is not None else float(len(cpus.service))
    if request.memory_gb is not None:
        memory = int(request.memory_gb * GIB)
    else:
        # rounded down to 0.1 GB so the figure reads as a setting, not as noise
        available = psutil.virtual_memory().available
        memory = int(available / GIB * 10) * GIB // 10
    return Plan(cpu, memory, tuple(cpus.service), tuple(cpus.generator), cpus.shared)


def prepare_inputs(store: Store, request: ProfileRequest) -> tuple[Path, list[bytes]]:
    """Materialise the models into the run's folder and read the dataset's rows."""
    # absolute: the service runs in the source directory, not here
    workdir = (store.root / "runs" / request.name).resolve()  # the store validated the name
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    if request.model_ids:  # a server command or a URL may need none
        models = workdir / "models"
        models.mkdir()
        model_dir = store.models.materialize(list(request.model_ids), models)
        (workdir / "model_dir").write_text(str(model_dir), encoding="utf-8")
    rows = store.datasets.rows(request.dataset_id)
    return workdir, [row.encode("utf-8") for row in rows]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare_environment(
    store: Store, request: ProfileRequest, cancelled: Callable[[], bool] | None = None
) -> BuiltEnvironment:
    """The environment the service runs in: built (or found in the workspace's cache)
    from the request's environment, or the current interpreter when it has none or
    its dependencies are user-managed. ``cancelled`` stops a build."""
    spec = request.environment.build_spec() if request.environment else None
    return EnvironmentCache(store.root / "envs").prepare(spec, cancelled)


def first_start(
    request: ProfileRequest,
    workdir: Path,
    log_path: Path,
    cpus: tuple[int, ...] | None,
    environment: BuiltEnvironment,
) -> float:
    """Start the service once in a newly built environment, unmeasured and unlimited,
    and stop it; return the seconds it took to be ready.

    A build does not compile bytecode (that would cost more than the install); this
    start writes the bytecode of everything the script imports, ``init()`` included,
    so the measured cold start that follows is that of a deployed image.
    """
    service, url = launch_service(request, workdir, log_path, None, None, cpus, environment)
    # a server command is ready as its own endpoint says (MLflow's /ping), as in the run
    server = request.server
    health = server.endpoint.health_path if isinstance(server, ServerCommand) else "/"
    try:
        return service.wait_ready(
            url + (health or "/"), request.settings.startup_timeout, port_only=health is None
        )
    finally:
        service.stop()


def launch_service(
    request: ProfileRequest,
    workdir: Path,
    log_path: Path,
    cpu: float | None,
    memory_bytes: int | None,
    cpus: tuple[int, ...] | None,
    environment: BuiltEnvironment | None = None,
    workers: int = 1,
    threads: int | None = None,
) -> tuple[Service | AttachedService, str]:
    """Start the service of ``request`` under the given limits, in ``environment``'s
    interpreter when given (or attach to it, for a ``--url``); return it and its base
    URL (``http://host:port``).

    ``threads``: the BLAS/OpenMP thread count set in the service's environment (None:
    left as it is); the user's environment variables win over it.
    """
    server = request.server
    if isinstance(server, AttachedUrl):
        return AttachedService(server.url, server.pid, log_path), server.base
    environment = environment or current_environment(None)
    port = _free_port()
    model_dir = _model_dir(workdir)
    user = dict(request.environment.environment_variables) if request.environment else {}
    base = dict(os.environ)
    if threads is not None:
        base.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    if isinstance(server, ServerCommand):
        # {python}: the environment's interpreter (servesize's own without one)
        fill = {"{model_dir}": model_dir or "", "{python}": environment.python}
        argv = server.argv_for(port, fill)
        cwd = server.cwd or Path.cwd()
        env = environment.launch_env(base, {**user, **server.environment_for(port, fill)})
        if model_dir:
            env["AZUREML_MODEL_DIR"] = model_dir
    else:
        argv, cwd = _score_script(request, port, model_dir or "", environment.python, workers)
        env = environment.launch_env(base, user)
    env.update(request.settings.extra_env)
    env["PYTHONUNBUFFERED"] = "1"
    if server is None:
        env.update(_azure_variables(request, model_dir or "", workers))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    service = launch(
        argv,
        env=env,
        cwd=cwd,
        log_path=log_path,
        cpu=cpu,
        memory_bytes=memory_bytes,
        cpus=cpus,
        cgroups=request.settings.cgroups,
    )
    return service, f"http://127.0.0.1:{port}"


def warm(
    url: str,
    bodies: Sequence[bytes],
    endpoint: Endpoint,
    workers: int,
    settings: ProfileSettings,
    sampler: Sampler | None = None,
) -> None:
    """Send each body once, ``workers`` at a time (at most ``warmup_max_seconds``), to a
    service that has just become ready, before it is measured: its first requests pay
    for lazy imports and first-call caches, which is start-up, not what a run under its
    limits measures. The profile's first service gets this as its warm-up phase; every
    fresh one after it (a sizing trial's, a confirmation's, a plan's replicas) gets it
    here (a plan's confirmation of a fresh replica without it: bench/RESULTS-plan.md,
    2026-12-06 20:35 UTC)."""
    before = sampler.phase if sampler is not None else None
    if sampler is not None:
        sampler.phase = "rewarm"  # kept out of the phase it precedes
    done = threading.Event()
    stop = threading.Timer(settings.warmup_max_seconds, done.set)
    stop.daemon = True
    stop.start()
    try:
        spec = LoadSpec(
            url + endpoint.score_path, bodies, method=endpoint.method,
            headers={"Content-Type": endpoint.content_type}, concurrency=max(1, workers),
            duration=0.0, min_queries=len(bodies), timeout=settings.request_timeout,
        )  # fmt: skip
        run_load(spec, stop=done)
    finally:
        stop.cancel()
        if sampler is not None and before is not None:
            sampler.phase = before


def _model_dir(workdir: Path) -> str | None:
    marker = workdir / "model_dir"
    return marker.read_text(encoding="utf-8") if marker.is_file() else None


def _source(request: ProfileRequest) -> Path:
    assert request.entry_script is not None  # a request without a server has one
    return request.source_directory or request.entry_script.parent


def _score_script(
    request: ProfileRequest, port: int, model_dir: str, python: str, workers: int
) -> tuple[list[str], Path]:
    """``python -m servesize.serving`` hosting the entry script, and its folder."""
    source = _source(request)
    argv = [
        python,
        "-m",
        "servesize.serving",
        "--entry-script",
        str(request.entry_script),
        "--source-directory",
        str(source),
        "--model-dir",
        model_dir,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return argv, source


def _azure_variables(request: ProfileRequest, model_dir: str, workers: int) -> dict[str, str]:
    source = _source(request)
    return {
        "AZUREML_MODEL_DIR": model_dir,
        "AZUREML_ENTRY_SCRIPT": str(request.entry_script),
        "AZUREML_SOURCE_DIRECTORY": str(source),
        "AML_APP_ROOT": str(source),
        "WORKER_COUNT": str(workers),
    }


_NOOP_SCRIPT = "def init():\n    pass\n\n\ndef run(data):\n    return None\n"


def host_idle_memory(
    request: ProfileRequest,
    workdir: Path,
    cpu: float | None,
    memory_bytes: int | None,
    cpus: tuple[int, ...] | None,
    environment: BuiltEnvironment | None = None,
    workers: int = 1,
    threads: int | None = None,
) -> int:
    """The scoring host's own idle memory: a no-op ``score.py`` served the same way (same
    host, workers, environment and limits) and measured as the service's idle memory is,
    so the two figures compare (cgroup usage counts pages differently from RSS)."""
    folder = workdir / "host-only"
    folder.mkdir(exist_ok=True)
    script = folder / "score.py"
    script.write_text(_NOOP_SCRIPT, encoding="utf-8")
    noop = dataclasses.replace(request, entry_script=script, source_directory=folder, server=None)
    log = folder / "host.log"
    service, url = launch_service(
        noop, workdir, log, cpu, memory_bytes, cpus, environment, workers, threads
    )
    assert isinstance(service, Service)  # launched, not attached: server is None
    with service:
        service.wait_ready(url, request.settings.startup_timeout)
        return service.memory_bytes()


@contextlib.contextmanager
def generator_affinity(cpus: tuple[int, ...]) -> Iterator[None]:
    """Pin the calling thread (and the threads it starts) to the generator's CPUs."""
    if not cpus or not hasattr(os, "sched_setaffinity"):
        yield
        return
    # pid 0 is the calling *thread* on Linux: the caller's other threads keep their CPUs
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, cpus)
    except OSError:
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, before)


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The processor's name as Linux reports it (the first ``model name``), else what
    ``platform`` knows (empty on some systems: then None)."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    return platform.processor() or None


def kernel_hz(configs: tuple[Path, ...] | None = None) -> int | None:
    """The kernel's scheduler tick rate (``CONFIG_HZ``) from its build config, where
    the machine has one (/boot/config-<release>, or /proc/config.gz); else None.

    The kernel accounts a running task's CPU at its tick, so a cgroup can overrun its
    CPU quota by up to a tick before it is throttled (4 ms at 250 Hz, 1 ms at 1000 Hz):
    bursts under a small quota pass that much more (bench/quota_burst.py)."""
    if configs is None:
        configs = (Path(f"/boot/config-{platform.release()}"), Path("/proc/config.gz"))
    for path in configs:
        with contextlib.suppress(OSError, EOFError, gzip.BadGzipFile, ValueError):
            raw = path.read_bytes()
            text = gzip.decompress(raw) if path.suffix == ".gz" else raw
            for line in text.decode("utf-8", errors="replace").splitlines():
                if line.startswith("CONFIG_HZ="):
                    return int(line.partition("=")[2])
    return None


def machine_facts() -> Machine:
    support = detect()
    return Machine(
        cpu_model=cpu_model(),
        kernel_hz=kernel_hz(),
        cpu_count=psutil.cpu_count(logical=True),
        usable_cpus=len(os.sched_getaffinity(0)),
        memory_in_gb=round(psutil.virtual_memory().total / GIB, 2),
        cgroup_version=support.version,
        cgroup_note=support.reason,
        platform=platform.platform(),
        python=platform.python_version(),
        servesize_version=__version__,
    )
