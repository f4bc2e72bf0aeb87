"""Start one stored profile: the procedure's public entry point for the layers above.

The SDK (``servesize.sdk``) resolves what users pass into a :class:`ProfileRequest`
and calls :func:`start_run`; this module stores the profile, records which process
runs it (so a reader can tell a dead run from a running one) and runs the procedure
in a background thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from servesize.profiling.procedure import FinishFn, ProfileRun, ProgressFn
from servesize.profiling.request import ProfileRequest
from servesize.workspace import Store, this_process

__all__ = ["StartedRun", "start_run"]


@dataclass(frozen=True)
class StartedRun:
    """A profile running in this process: set ``cancel`` to stop it; ``finished`` is
    set once its final state is stored."""

    name: str
    finished: threading.Event
    cancel: threading.Event


def start_run(
    store: Store,
    request: ProfileRequest,
    progress: ProgressFn | None = None,
    finish: FinishFn | None = None,
) -> StartedRun:
    """Store the new profile (``NotStarted``) and run the procedure in a thread;
    ``finish(figures)`` runs last, before the figures are stored."""
    # the store checks the runner on every read: a dead one makes the profile
    # Failed (interrupted) instead of Running forever (workspace._owner)
    record = {"id": request.name, "request": request.to_dict(), "runner": this_process()}
    store.profiles.create(request.name, request.description, request.to_dict())
    store.profiles.update(request.name, state="NotStarted", record=record)
    cancel = threading.Event()
    run = ProfileRun(store, request, cancel=cancel, progress=progress, finish=finish)
    threading.Thread(target=run.execute, name=f"servesize-profile-{request.name}").start()
    return StartedRun(request.name, run.finished, cancel)
