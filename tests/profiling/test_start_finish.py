"""``ProfileRun(finish=...)`` (what ``start_run(finish=...)`` passes): the caller's last
step runs before the final figures are stored, in the same update, and a bug in it never
loses what was measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from servesize.profiling import ProfileRequest
from servesize.profiling.procedure import ProfileRun
from servesize.workspace import Figures, Store


def _run(store: Store, finish: object) -> ProfileRun:
    request = ProfileRequest("p", ("m:1",), None, "rows:1")
    store.profiles.create("p", None, request.to_dict())
    return ProfileRun(store, request, finish=finish)  # type: ignore[arg-type]


def test_what_finish_adds_is_stored_with_the_final_state(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "ws")

    def finish(figures: Figures) -> None:
        figures.deployment = {"instanceType": "Standard_F2s_v2", "instanceCount": 3}

    run = _run(store, finish)
    run.figures.recommended_cpu = 0.6
    run._store("Succeeded")
    stored = store.profiles.get("p")
    assert stored.state == "Succeeded"
    assert stored.details["deployment"] == {"instanceType": "Standard_F2s_v2", "instanceCount": 3}
    assert stored.details["recommendedCpu"] == 0.6


@pytest.mark.untimed  # no profile runs, but its log is written
def test_a_failing_finish_is_logged_and_the_profile_still_stored(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "ws")

    def finish(figures: Figures) -> None:
        raise RuntimeError("a bug in the last step")

    run = _run(store, finish)
    run.figures.recommended_cpu = 0.6
    run._store("Succeeded")
    stored = store.profiles.get("p")
    assert stored.state == "Succeeded"
    assert stored.details["recommendedCpu"] == 0.6
    assert "RuntimeError: a bug in the last step" in run.log_path.read_text()
