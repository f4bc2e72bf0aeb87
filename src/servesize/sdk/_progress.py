"""``wait_for_completion(show_output=True)``: a rich progress bar per phase.

The display polls; it draws a bar for every phase the run has started
(``progress["phases"]``), so a phase that began and ended between two polls is shown
(done) as well.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from servesize.workspace import FINAL_STATES

if TYPE_CHECKING:
    from servesize.sdk._profile import ModelProfile

__all__ = ["follow"]

_LABELS = {
    "prepare": "Prepare",
    "coldstart": "Cold start",
    "warmup": "Warm-up",
    "capacity": "Capacity search",
    "measurement": "Measurement",
    "sizing": "Sizing search",
    "confirmation": "Confirmation",
}


def follow(
    profile: ModelProfile, timeout: float | None = None, console: Console | None = None
) -> str:
    """Show the phases of a running profile until it ends; return the final state."""
    console = console or Console(stderr=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.fields[text]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, TaskID] = {}
        while True:
            state = profile.state
            # the run's thread adds to both: the list first, so every phase before
            # ``phase`` in it has ended
            started = list(profile.progress.get("phases", ()))
            phase = str(profile.progress.get("phase", ""))
            for seen in started:
                if seen in _LABELS and seen not in tasks:
                    tasks[seen] = bar.add_task(_LABELS[seen], total=1.0, text="")
                if seen != phase and seen in tasks:
                    bar.update(tasks[seen], completed=1.0)  # a later phase has started
            if phase in tasks:
                bar.update(
                    tasks[phase],
                    completed=float(profile.progress.get("fraction", 0.0)),
                    text=str(profile.progress.get("text", "")),
                )
            if state in FINAL_STATES:
                if state == "Succeeded":
                    for task in tasks.values():
                        bar.update(task, completed=1.0)
                return state
            if deadline is not None and time.monotonic() >= deadline:
                return state
            profile._pause(0.25)
