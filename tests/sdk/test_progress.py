"""The progress display shows every phase a run started, however short."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from servesize.sdk import ModelProfile
from servesize.sdk._progress import follow
from servesize.workspace import Store


def _handle(tmp_path: Path, state: str) -> ModelProfile:
    store = Store.open(tmp_path / "ws")
    store.profiles.create("p", None, {})
    store.profiles.update("p", state=state)
    return ModelProfile._run_here(store, "p")


def _shown(profile: ModelProfile) -> str:
    out = io.StringIO()
    follow(profile, timeout=0, console=Console(file=out, width=100, force_terminal=False))
    return out.getvalue()


def test_phases_that_ended_between_two_polls_are_shown(tmp_path: Path) -> None:
    profile = _handle(tmp_path, "Running")
    # what the run reports before the display's first poll: prepare and the cold start
    # take milliseconds
    for phase in ("prepare", "coldstart", "warmup", "coldstart", "measurement"):
        profile._on_progress(phase, 0.5, "")
    profile._on_progress("measurement", 0.25, "40 q/s")
    assert profile.progress["phases"] == ["prepare", "coldstart", "warmup", "measurement"]
    shown = _shown(profile)
    lines = {line.split()[0]: line for line in shown.splitlines() if line.strip()}
    assert list(lines) == ["Prepare", "Cold", "Warm-up", "Measurement"]
    full = "\u2501" * 40  # the bar of a phase that ended
    assert all(full in lines[p] for p in ("Prepare", "Cold", "Warm-up"))
    assert full not in lines["Measurement"]
    assert "40 q/s" in lines["Measurement"]
    assert "Capacity" not in shown  # not started: not shown


def test_a_run_that_succeeded_shows_its_phases_done(tmp_path: Path) -> None:
    profile = _handle(tmp_path, "Succeeded")
    for phase in ("prepare", "coldstart", "measurement"):
        profile._on_progress(phase, 0.0, "")
    lines = [line for line in _shown(profile).splitlines() if line.strip()]
    assert [line.split()[0] for line in lines] == ["Prepare", "Cold", "Measurement"]
    assert all("\u2501" * 40 in line for line in lines)
