"""``wait_for_completion(show_output=True)``: a rich progress bar per phase.

The display polls; it draws a bar for every phase the run has started
(``progress["phases"]``), so a phase that began and ended between two polls is shown
(done) as well.

In a terminal rich redraws the bars in place with cursor movements. A Jupyter kernel
has no terminal: rich's live display needs ipywidgets there (without them it shows a
warning and an empty output), and carriage returns in a cell's stream output are
kept in the saved notebook. So in a notebook the bars are drawn into one display
output, as HTML with a plain-text twin, and that output is replaced in place
(``update_display_data``), which every Jupyter front end and a saved notebook keep.
"""

from __future__ import annotations

import importlib
import io
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.jupyter import JUPYTER_HTML_FORMAT
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from servesize.workspace import FINAL_STATES

if TYPE_CHECKING:
    from servesize.sdk._profile import ModelProfile

__all__ = ["follow", "notebook_bundle"]

_LABELS = {
    "prepare": "Prepare",
    "coldstart": "Cold start",
    "warmup": "Warm-up",
    "capacity": "Capacity search",
    "measurement": "Measurement",
    "sizing": "Sizing search",
    "confirmation": "Confirmation",
}

#: columns of the notebook's bars (a cell is about this wide in Jupyter and VS Code)
NOTEBOOK_WIDTH = 100


def _bars(console: Console | None = None) -> Progress:
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.fields[text]}"),
        TimeElapsedColumn(),
    )
    if console is None:  # drawn by hand (a notebook): never started, never live
        return Progress(*columns, auto_refresh=False)
    return Progress(*columns, console=console, transient=False)


class _Phases:
    """The bars of a run's phases, brought up to date from its ``progress`` dict."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, TaskID] = {}

    def sync(self, profile: ModelProfile) -> str:
        """Update the bars; return the profile's state."""
        state = profile.state
        # the run's thread adds to both: the list first, so every phase before
        # ``phase`` in it has ended
        started = list(profile.progress.get("phases", ()))
        phase = str(profile.progress.get("phase", ""))
        for seen in started:
            if seen in _LABELS and seen not in self.tasks:
                self.tasks[seen] = self.bar.add_task(_LABELS[seen], total=1.0, text="")
            if seen != phase and seen in self.tasks:
                self.bar.update(self.tasks[seen], completed=1.0)  # a later phase has started
        if phase in self.tasks:
            self.bar.update(
                self.tasks[phase],
                completed=float(profile.progress.get("fraction", 0.0)),
                text=str(profile.progress.get("text", "")),
            )
        if state == "Succeeded":
            for task in self.tasks.values():
                self.bar.update(task, completed=1.0)
        return state


def _poll(
    profile: ModelProfile, phases: _Phases, timeout: float | None, show: Callable[[], None]
) -> str:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        state = phases.sync(profile)
        show()
        if state in FINAL_STATES:
            return state
        if deadline is not None and time.monotonic() >= deadline:
            return state
        profile._pause(0.25)


def follow(
    profile: ModelProfile, timeout: float | None = None, console: Console | None = None
) -> str:
    """Show the phases of a running profile until it ends; return the final state."""
    console = console or Console(stderr=True)
    if console.is_jupyter:
        return _follow_in_notebook(profile, timeout)
    with _bars(console) as bar:
        return _poll(profile, _Phases(bar), timeout, lambda: None)


def notebook_bundle(bar: Progress) -> dict[str, str]:
    """The bars as a display bundle: HTML (rich's colours, inline) and plain text."""
    console = Console(
        record=True,
        file=io.StringIO(),
        width=NOTEBOOK_WIDTH,
        force_jupyter=False,
        force_terminal=True,
        color_system="truecolor",
    )
    console.print(bar.get_renderable())
    text = console.export_text(clear=False)
    html = console.export_html(inline_styles=True, code_format=JUPYTER_HTML_FORMAT)
    return {"text/plain": text, "text/html": html}


def _follow_in_notebook(profile: ModelProfile, timeout: float | None) -> str:
    # IPython is there whenever rich detected a notebook kernel; imported by name so
    # that servesize neither needs it nor type-checks against it
    display: Any = importlib.import_module("IPython.display").display
    phases = _Phases(_bars())
    shown = notebook_bundle(phases.bar)
    handle = display(shown, raw=True, display_id=True)

    def show() -> None:
        nonlocal shown
        bundle = notebook_bundle(phases.bar)
        if bundle != shown:  # the elapsed time moves once a second: so do the updates
            handle.update(bundle, raw=True)
            shown = bundle

    return _poll(profile, phases, timeout, show)
