"""``sweep()``: run a sweep file's trials locally or on Ray; ``sweep_table()``: their state.

Example::

    import servesize
    ws = servesize.Workspace.get("ws")
    profiles = servesize.sweep(ws, "sweep.yaml")                 # here, one at a time
    profiles = servesize.sweep(ws, "sweep.yaml", ray_address="auto")  # on a Ray cluster
    [p.get_details()["recommendedCpu"] for p in profiles]
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servesize.errors import InvalidInputError, NotFoundError
from servesize.sdk import Workspace
from servesize.sweeps._api import FINAL_STATES, ModelProfile
from servesize.sweeps._bundle import local_inputs
from servesize.sweeps._spec import Trial, read_sweep
from servesize.sweeps._trial import run_trial
from servesize.workspace import Store

WorkspaceLike = Workspace | Store | str | Path

__all__ = ["sweep", "sweep_table"]

#: ``on_event(trial_name, state)``: "Skipped", "Running"/"Submitted", then its final state.
EventFn = Callable[[str, str], None]


def sweep(
    workspace: WorkspaceLike,
    path: str | Path,
    ray_address: str | None = None,
    *,
    max_parallel: int | None = None,
    rerun: bool = False,
    on_event: EventFn | None = None,
) -> list[ModelProfile]:
    """Run every trial of the sweep file ``path``; return their profiles, in file order.

    Without ``ray_address`` the trials run here, one after another; with it (``"auto"``,
    ``"ray://host:10001"``, ``"host:6379"``) they run as Ray tasks, each on cores of its
    own.  Trials already ``Succeeded`` are skipped unless ``rerun``.
    """
    if max_parallel is not None and max_parallel < 1:
        raise InvalidInputError(f"max_parallel must be >= 1, got {max_parallel}")
    if ray_address is not None:
        from servesize.sweeps._ray import ray_module

        ray_module()  # a missing extra is the first thing to say
    store = _store(workspace)
    spec = read_sweep(path)
    _check_inputs(store, spec.trials)
    notify = on_event or (lambda name, state: None)
    todo = []
    for trial in spec.trials:
        if _already_done(store, trial, rerun):
            notify(trial.name, "Skipped")
        else:
            todo.append(trial)
    if ray_address is None:
        _run_locally(store, todo, notify)
    elif todo:
        from servesize.sweeps._ray import run_on_ray

        run_on_ray(store, todo, ray_address, max_parallel, notify)
    return [ModelProfile(workspace, trial.name) for trial in spec.trials]


def _store(workspace: WorkspaceLike) -> Store:
    if isinstance(workspace, Workspace):
        return workspace.store
    if isinstance(workspace, Store):
        return workspace
    if isinstance(workspace, str | Path):
        return Store.open(Path(workspace))
    raise InvalidInputError(f"expected a Workspace, got {type(workspace).__name__}")


def _check_inputs(store: Store, trials: tuple[Trial, ...]) -> None:
    """Unknown models, datasets or environments fail the whole sweep before any trial runs."""
    for trial in trials:
        try:
            for model in trial.models:
                store.models.get(model)
            store.datasets.get(trial.dataset)
            if trial.environment is not None:
                store.environments.get(trial.environment)
        except NotFoundError as exc:
            raise NotFoundError(f"trial {trial.name!r}: {exc}") from exc


def _already_done(store: Store, trial: Trial, rerun: bool) -> bool:
    try:
        store.profiles.get(trial.name)
    except NotFoundError:
        return False
    state = ModelProfile(store, trial.name).state  # a dead runner's profile reads Failed
    if state not in FINAL_STATES:
        raise InvalidInputError(
            f"trial {trial.name!r} is being profiled by another process (state {state}); "
            "wait for it or cancel it"
        )
    return state == "Succeeded" and not rerun


def _run_locally(store: Store, trials: list[Trial], notify: EventFn) -> None:
    for trial in trials:
        with contextlib.suppress(NotFoundError):
            store.profiles.delete(trial.name)
        notify(trial.name, "Running")
        notify(trial.name, run_trial(store, trial, local_inputs(trial)))


def sweep_table(workspace: WorkspaceLike, path: str | Path) -> list[dict[str, Any]]:
    """One row per trial of the file: state, verdict, recommendation, sloMet, p99, node."""
    store = _store(workspace)
    rows = []
    for trial in read_sweep(path).trials:
        try:
            details: dict[str, Any] = dict(ModelProfile(store, trial.name).get_details())
        except NotFoundError:
            details = {"state": "NotRun"}
        rows.append(
            {
                "name": trial.name,
                "state": details.get("state"),
                "validity": details.get("validity"),
                "recommendedCpu": details.get("recommendedCpu"),
                "recommendedMemoryInGB": details.get("recommendedMemoryInGB"),
                "sloMet": details.get("sloMet"),
                "latencyPercentile99InMs": details.get("latencyPercentile99InMs"),
                "node": details.get("node"),
                "nodeCpus": details.get("nodeCpus"),
                "error": (details.get("error") or {}).get("message"),
            }
        )
    return rows
