"""Run one trial into a workspace through the public profiling entry, and move a stored
profile between workspaces (a worker node's temporary one and the driver's).

The trial's cores reach the profile through the calling thread's CPU affinity: the
profile's thread inherits it, and the profile's plan splits exactly those cores into
the service's cpuset and the load generator's (see ``profiling/_service.plan``), as
``taskset -c CORES servesize model profile ...`` would.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psutil

from servesize.errors import NotFoundError, ServesizeError
from servesize.sweeps._api import FINAL_STATES, ModelProfile, start_profile
from servesize.sweeps._spec import Trial
from servesize.workspace import Figures, Store

__all__ = [
    "Placement",
    "TrialInputs",
    "export_profile",
    "import_profile",
    "record_failure",
    "run_trial",
]


@dataclass(frozen=True)
class Placement:
    """Where a trial runs: the node's name (and Ray's address and id for it)."""

    node: str = field(default_factory=socket.gethostname)
    node_address: str | None = None
    ray_node_id: str | None = None
    runner: str = "local"


@dataclass(frozen=True)
class TrialInputs:
    """What ``Model.profile`` takes, valid in the workspace the trial runs in."""

    models: tuple[str, ...]
    dataset: str
    inference_config: Any


def run_trial(
    store: Store,
    trial: Trial,
    inputs: TrialInputs,
    *,
    cores: tuple[int, ...] | None = None,
    placement: Placement | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> str:
    """Profile ``trial`` and wait; return its final state.

    Ctrl-C (or Ray's cancel, which raises ``KeyboardInterrupt`` here), or
    ``should_stop()`` turning true (asked once a second), cancels the profile, waits
    for its teardown (no process, no cgroup left) and raises ``KeyboardInterrupt``.
    """
    started = _now()
    interrupted = False
    try:
        with _affinity(cores):
            handle = start_profile(store, trial, inputs)
    except ServesizeError as exc:  # refused before it started (bad limits, entry script)
        record_failure(store, trial, str(exc))
        handle = None
    if handle is not None:
        try:
            while handle.wait_for_completion(timeout=1.0) not in FINAL_STATES:
                if should_stop is not None and should_stop():
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            interrupted = True
            handle.cancel()
            _wait_out(handle)
    place = placement or Placement()
    figures = Figures.from_details(store.profiles.get(trial.name).details)
    figures.node = place.node
    figures.node_address = place.node_address
    figures.ray_node_id = place.ray_node_id
    figures.sweep_runner = place.runner
    figures.node_cpus = list(cores) if cores is not None else sorted(os.sched_getaffinity(0))
    figures.trial_start_time = started
    figures.trial_end_time = _now()
    store.profiles.update(trial.name, details=figures.to_details())
    if interrupted:
        raise KeyboardInterrupt
    return store.profiles.get(trial.name).state


def _wait_out(handle: ModelProfile) -> None:
    """Wait for the cancelled profile's teardown; a second Ctrl-C must not cut it short."""
    while True:
        try:
            handle.wait_for_completion()
            return
        except KeyboardInterrupt:
            continue


@contextlib.contextmanager
def _affinity(cores: tuple[int, ...] | None) -> Iterator[None]:
    """Pin the calling thread (and so the profile thread it starts) to ``cores``."""
    if cores is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def record_failure(store: Store, trial: Trial, message: str, state: str = "Failed") -> None:
    """Store ``trial`` as Failed (or Cancelled) with ``message`` when no profile ran."""
    with contextlib.suppress(NotFoundError):
        store.profiles.delete(trial.name)
    store.profiles.create(trial.name, trial.description, _request(trial))
    me = psutil.Process()
    store.profiles.update(
        trial.name,
        state=state,
        details={"error": {"message": message}},
        # a placeholder of a sweep that dies reads Failed (ModelProfile checks its runner)
        record={"runner": {"pid": me.pid, "createTime": me.create_time()}},
    )


def _request(trial: Trial) -> dict[str, Any]:
    return {
        "name": trial.name,
        "modelIds": list(trial.models),
        "inputDatasetId": trial.dataset,
        "inferenceConfig": str(trial.inference_config) if trial.inference_config else None,
        "entryScript": str(trial.entry_script) if trial.entry_script else None,
        "cpu": trial.cpu,
        "memoryInGB": trial.memory_in_gb,
        "settings": dict(trial.settings),
    }


def export_profile(store: Store, name: str) -> dict[str, Any]:
    """A stored profile as plain data: record, series and log (to send to the driver)."""
    record = store.profiles.get(name)
    log = store.profile_log_path(name)
    return {
        "name": name,
        "state": record.state,
        "description": record.description,
        "details": record.details,
        "record": {k: v for k, v in record.record.items() if k != "runner"},
        "request": record.request,
        "series": {
            k: store.profiles.get_series(name, k) for k in store.profiles.series_kinds(name)
        },
        "log": log.read_text(encoding="utf-8", errors="replace") if log.exists() else "",
    }


def import_profile(
    store: Store, exported: Mapping[str, Any], paths: Mapping[str, str] | None = None
) -> str:
    """Store an exported profile under its name, replacing any earlier one.

    ``paths`` replace the request's entry script and source directory: the node's
    temporary ones are gone, the driver's are what the user knows.
    """
    name = str(exported["name"])
    with contextlib.suppress(NotFoundError):
        store.profiles.delete(name)
    request = {**exported["request"], **(paths or {})}
    store.profiles.create(name, exported.get("description"), request)
    for kind, rows in exported["series"].items():
        store.profiles.put_series(name, kind, rows)
    store.profile_log_path(name).write_text(exported["log"], encoding="utf-8")
    state = str(exported["state"])
    if state not in FINAL_STATES:  # the node stopped mid-way: never leave it "Running"
        state = "Failed"
    store.profiles.update(name, state=state, details=exported["details"], record=exported["record"])
    return state


def _now() -> str:
    return datetime.now(UTC).isoformat()
