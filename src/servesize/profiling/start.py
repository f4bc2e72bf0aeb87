"""Start one stored profile: the procedure's public entry point for the layers above.

The SDK (``servesize.sdk``) resolves what users pass into a :class:`ProfileRequest`
and calls :func:`start_run`; this module stores the profile, records which process
runs it (so a reader can tell a dead run from a running one) and runs the procedure
in a background thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from servesize.profiling.procedure import ProfileRun, ProgressFn
from servesize.profiling.request import ProfileRequest
from servesize.workspace import Figures, Store, this_process

__all__ = ["StartedRun", "start_run"]


@dataclass(frozen=True)
class StartedRun:
    """A profile running in this process: set ``cancel`` to stop it; ``finished`` is
    set once its final state is stored."""

    name: str
    finished: threading.Event
    cancel: threading.Event


#: called with the final figures just before they are stored (whatever the outcome),
#: e.g. the SDK's choice of a deployment (servesize.deploy); it must not raise
FinishFn = Callable[[Figures], None]


class _FinishedRun(ProfileRun):
    """The procedure with a last step of the caller's before the figures are stored."""

    def __init__(
        self,
        store: Store,
        request: ProfileRequest,
        cancel: threading.Event,
        progress: ProgressFn | None,
        finish: FinishFn,
    ) -> None:
        super().__init__(store, request, cancel=cancel, progress=progress)
        self._finish = finish

    def _store(self, state: str) -> None:
        # the same update stores the final state and what finish added, so a reader
        # never sees a Succeeded profile without it
        try:
            self._finish(self.figures)
        except Exception:  # a bug there must not lose what was measured
            self._log(traceback.format_exc())
        super()._store(state)


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
    if finish is None:
        run = ProfileRun(store, request, cancel=cancel, progress=progress)
    else:
        run = _FinishedRun(store, request, cancel, progress, finish)
    threading.Thread(target=run.execute, name=f"servesize-profile-{request.name}").start()
    return StartedRun(request.name, run.finished, cancel)
