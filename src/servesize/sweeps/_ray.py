"""Trials as Ray tasks: packed inputs out through the object store, profiles back.

Faults: a trial whose profile fails comes back Failed with its reason; a worker or
node that dies mid-trial marks the trial Failed (no automatic retry: a half-measured
trial on a dying node says nothing about the model; ``sweep run`` again reruns it).
Ctrl-C cancels every task (Ray raises ``KeyboardInterrupt`` in each running one,
which stops its service and removes its cgroup) and waits for them to finish.
"""

from __future__ import annotations

import contextlib
import math
import socket
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil

from servesize.errors import InvalidInputError, ServesizeError, UserError
from servesize.sweeps._bundle import Bundle, pack, unpack
from servesize.sweeps._cores import CoreAllocator, cores_needed
from servesize.sweeps._spec import Trial
from servesize.sweeps._trial import (
    Placement,
    export_profile,
    import_profile,
    record_failure,
    run_trial,
)
from servesize.workspace import Store

__all__ = ["RayMissingError", "ray_module", "run_on_ray"]

_NAMESPACE = "servesize"
#: How long a cancelled task may take to stop its service and come back.
_CANCEL_GRACE_SECONDS = 60.0

EventFn = Callable[[str, str], None]


class RayMissingError(UserError):
    """Ray is not installed."""


def ray_module() -> ModuleType:
    try:
        import ray
    except ImportError as exc:
        raise RayMissingError(
            "--ray-address needs Ray, which is not installed: pip install 'servesize[ray]'"
        ) from exc
    return ray


def run_on_ray(
    store: Store,
    trials: list[Trial],
    address: str,
    max_parallel: int | None,
    on_event: EventFn,
) -> None:
    ray = ray_module()
    bundles = [pack(store, trial) for trial in trials]  # every input read before any task
    owns = not ray.is_initialized()
    if owns:
        _check_reachable(address)
        _init(ray, address)
    try:
        _Driver(ray, store, max_parallel, on_event).run(bundles)
    finally:
        if owns:
            ray.shutdown()


#: attempts at a Ray Client session: its server can refuse a new session while it
#: still tears down the previous one ("Initialization failure from server")
_CLIENT_ATTEMPTS = 3
_CLIENT_RETRY_SECONDS = 2.0


def _init(ray: Any, address: str) -> None:
    for attempt in range(1, _CLIENT_ATTEMPTS + 1):
        try:
            with warnings.catch_warnings():  # the failure is said once, in our error
                warnings.simplefilter("ignore")
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            return
        except (ConnectionError, RuntimeError, ValueError) as exc:
            transient = address.startswith("ray://") and "Initialization failure" in str(exc)
            if not transient or attempt == _CLIENT_ATTEMPTS:
                raise ServesizeError(
                    f"cannot connect to the Ray cluster at {address}: {exc}"
                ) from exc
            with contextlib.suppress(Exception):  # whatever half a session left
                ray.shutdown()
            time.sleep(_CLIENT_RETRY_SECONDS)  # a backoff, not a synchronisation


def _check_reachable(address: str) -> None:
    """Fail at once on a HOST:PORT nothing listens on (Ray itself retries for minutes)."""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidInputError(
            f"bad Ray address {address!r}: use auto, ray://HOST:PORT or HOST:PORT"
        )
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ServesizeError(
            f"cannot connect to the Ray cluster at {address}: {exc.strerror or exc}"
        ) from exc


class _Driver:
    def __init__(
        self, ray: ModuleType, store: Store, max_parallel: int | None, on_event: EventFn
    ) -> None:
        self.ray, self.store, self.on_event = ray, store, on_event
        self.max_parallel = max_parallel
        self.pending: dict[Any, Bundle] = {}
        cpus = [n["Resources"].get("CPU", 0.0) for n in ray.nodes() if n.get("Alive")]
        self.node_cpus = max(cpus, default=0.0)
        self.task = ray.remote(_remote_trial)
        self.control = ray.remote(SweepControl).options(num_cpus=0).remote()

    def run(self, bundles: list[Bundle]) -> None:
        queue = list(bundles)
        try:
            while queue or self.pending:
                while queue and (
                    self.max_parallel is None or len(self.pending) < self.max_parallel
                ):
                    self._submit(queue.pop(0))
                # in slices, so Ctrl-C is handled within a second whatever the connection
                done, _ = self.ray.wait(list(self.pending), num_returns=1, timeout=1.0)
                for ref in done:
                    self._collect(ref)
        except KeyboardInterrupt:
            for bundle in queue:
                record_failure(self.store, bundle.trial, "the sweep was cancelled", "Cancelled")
            self._cancel_all()
            raise

    def _submit(self, bundle: Bundle) -> None:
        trial = bundle.trial
        # Ray's CPU count steers placement only; the node's allocator hands out cores
        wanted = 1.0 if trial.cpu is None else float(math.ceil(trial.cpu) + 1)
        record_failure(self.store, trial, "waiting for a Ray worker", "NotStarted")
        ref = self.task.options(
            num_cpus=min(wanted, self.node_cpus) if self.node_cpus else 1.0,
            name=f"servesize-trial-{trial.name}",
            max_retries=0,  # a dead worker fails its trial; no silent second measurement
        ).remote(self.ray.put(bundle), self.control)
        self.pending[ref] = bundle
        self.on_event(trial.name, "Submitted")

    def _collect(self, ref: Any) -> None:
        bundle = self.pending.pop(ref)
        name = bundle.trial.name
        try:
            outcome = self.ray.get(ref)
        except self.ray.exceptions.TaskCancelledError:
            record_failure(self.store, bundle.trial, "the sweep was cancelled", "Cancelled")
            self.on_event(name, "Cancelled")
            return
        except (self.ray.exceptions.WorkerCrashedError, self.ray.exceptions.NodeDiedError) as exc:
            message = f"the Ray worker running this trial died: {_first_line(exc)}"
            record_failure(self.store, bundle.trial, message)
            self.on_event(name, "Failed")
            return
        except self.ray.exceptions.RayError as exc:
            record_failure(self.store, bundle.trial, f"Ray: {_first_line(exc)}")
            self.on_event(name, "Failed")
            return
        if outcome.get("profile") is None:
            record_failure(self.store, bundle.trial, outcome["error"], outcome["state"])
            self.on_event(name, outcome["state"])
            return
        state = import_profile(self.store, outcome["profile"], bundle.driver_paths)
        self.on_event(name, state)

    def _cancel_all(self) -> None:
        """Cancel every task and wait (through further Ctrl-Cs) for their teardown."""
        with contextlib.suppress(Exception):
            self.ray.get(self.control.stop.remote(), timeout=10)
        for ref in self.pending:
            with contextlib.suppress(Exception):
                self.ray.cancel(ref, force=False)
        deadline = time.monotonic() + _CANCEL_GRACE_SECONDS
        while self.pending and time.monotonic() < deadline:
            try:
                done, _ = self.ray.wait(list(self.pending), num_returns=1, timeout=1.0)
            except KeyboardInterrupt:
                continue
            for ref in done:
                self._collect(ref)
        for ref in list(self.pending):  # never came back: say so rather than hang
            bundle = self.pending.pop(ref)
            record_failure(self.store, bundle.trial, "cancelled; its worker did not report back")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- on the worker node ----------------------------------------------------------------


def _allocator(ray: ModuleType, node_id: str) -> Any:
    """The node's core allocator: one detached actor per node, shared by every sweep
    (two users' sweeps on one cluster must not share cores either)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return (
        ray.remote(CoreAllocator)
        .options(
            name=f"servesize-cores-{node_id}",
            namespace=_NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            num_cpus=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
        )
        .remote()
    )


class SweepControl:
    """The driver's stop flag, as a small actor the trials ask once a second.

    ``ray.cancel`` does not reach a running task through the Ray Client, so trials
    also stop when this flag is set, or when the actor is gone (its owner, the
    driver, died): a sweep never leaves trials measuring for nobody.
    """

    def __init__(self) -> None:
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True

    def stopped(self) -> bool:
        return self._stopped


def _asker(ray: ModuleType, control: Any) -> Callable[[], bool]:
    def should_stop() -> bool:
        try:
            return bool(ray.get(control.stopped.remote(), timeout=30))
        except ray.exceptions.RayError:  # the driver (and so its actor) is gone
            return True

    return should_stop


_CANCELLED = {"profile": None, "state": "Cancelled", "error": "the sweep was cancelled"}


def _take_cores(
    ray: ModuleType, allocator: Any, token: str, cpu: float | None, should_stop: Callable[[], bool]
) -> tuple[int, ...]:
    """Wait for this trial's cores, in slices so a stopped sweep is noticed; ``()`` when
    the sweep stopped meanwhile (the request is withdrawn)."""
    me = psutil.Process()
    count = cores_needed(cpu, ray.get(allocator.size.remote()))
    request = allocator.acquire.remote(token, count, me.pid, me.create_time())
    while True:
        try:
            return tuple(ray.get(request, timeout=1.0))
        except ray.exceptions.GetTimeoutError:
            if should_stop():
                ray.get(allocator.release.remote(token))
                return ()
        except KeyboardInterrupt:
            ray.get(allocator.release.remote(token))
            return ()


def _remote_trial(bundle: Bundle, control: Any) -> dict[str, Any]:
    """The Ray task: take cores on this node, profile in a temporary workspace, return
    the stored profile (or the reason there is none)."""
    import ray

    trial = bundle.trial
    should_stop = _asker(ray, control)
    if should_stop():
        return _CANCELLED
    node_id = ray.get_runtime_context().get_node_id()
    allocator = _allocator(ray, node_id)
    token = f"{trial.name}-{uuid.uuid4().hex}"
    place = Placement(
        node_address=ray.util.get_node_ip_address(),  # type: ignore[no-untyped-call]
        ray_node_id=node_id,
        runner="ray",
    )
    try:
        cores = _take_cores(ray, allocator, token, trial.cpu, should_stop)
    except ray.exceptions.RayTaskError as exc:  # e.g. more cores than the node has
        return {"profile": None, "state": "Failed", "error": _first_line(exc.cause or exc)}
    if not cores:
        return _CANCELLED
    try:
        with tempfile.TemporaryDirectory(prefix="servesize-trial-") as tmp:
            store, inputs = unpack(bundle, Path(tmp))
            # cancelled: the profile is stored Cancelled, with what it measured
            with contextlib.suppress(KeyboardInterrupt):
                run_trial(
                    store, trial, inputs, cores=cores, placement=place, should_stop=should_stop
                )
            return {"profile": export_profile(store, trial.name)}
    except ServesizeError as exc:
        return {"profile": None, "state": "Failed", "error": str(exc)}
    except Exception as exc:  # anything else still comes back as this trial's reason
        return {"profile": None, "state": "Failed", "error": f"on {place.node}: {exc!r}"}
    finally:
        with contextlib.suppress(Exception):
            ray.get(allocator.release.remote(token))
