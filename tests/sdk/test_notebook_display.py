"""How a profile shows itself in Jupyter: the HTML repr and the progress bars' output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servesize.report import ProfileView, notebook_html
from servesize.sdk import ModelProfile
from servesize.sdk._progress import _bars, _Phases, notebook_bundle
from servesize.workspace import Store

SIZED = {
    "validity": "VALID",
    "recommendedCpu": 0.4,
    "recommendedMemoryInGB": 0.1,
    "recommendedWorkers": 1,
    "recommendedThreads": 1,
    "recommendedReplicas": 2,
    "latencyObjective": "p99<=50ms",
    "sloMet": True,
    "requestedQueriesPerSecond": 100.0,
    "latencyPercentile50InMs": 3.88,
    "latencyPercentile90InMs": 6.96,
    "latencyPercentile99InMs": 11.8,
    "cpuSecondsPerQuery": 0.00342,
    "machine": {"cpuModel": "AMD EPYC", "cpuCount": 2},
}


def _stored(tmp_path: Path, state: str, details: dict[str, object]) -> ModelProfile:
    store = Store.open(tmp_path / "ws")
    store.profiles.create("diabetes-2", None, {})
    store.profiles.update("diabetes-2", state=state, details=details)
    return ModelProfile(store, "diabetes-2")


def test_the_repr_shows_the_recommendation_and_links_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    profile = _stored(tmp_path, "Succeeded", SIZED)
    shown = profile._repr_html_()
    for text in (
        "<strong>Profile &#x27;diabetes-2&#x27;</strong>: Succeeded, <span",
        ">VALID</span>",
        "0.40 cores",
        "0.10 GB (103 MiB)",
        '<td style="text-align:left">1 / 1</td>',
        "p99&lt;=50ms at 100 q/s: met",
        "p50 3.88 ms, p90 6.96 ms, p99 11.8 ms",
        "3.42 ms on AMD EPYC, 2 CPUs",
    ):
        assert text in shown, text
    # not written yet: said, not linked (displaying writes nothing)
    assert "<a " not in shown
    assert ".report() writes the HTML report to diabetes-2.html" in shown
    assert not (tmp_path / "diabetes-2.html").exists()

    profile.report()  # where a notebook user finds it: next to the notebook
    assert '<a href="diabetes-2.html" target="_blank">diabetes-2.html</a>' in profile._repr_html_()
    written = profile.report(tmp_path / "my reports" / "first #1.html")
    assert written.is_file()
    assert 'href="my%20reports/first%20%231.html"' in profile._repr_html_()
    # another session's handle finds the default file
    os.remove(written)
    assert 'href="diabetes-2.html"' in ModelProfile(profile.workspace, "diabetes-2")._repr_html_()


def test_everything_shown_is_escaped() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    view = ProfileView(
        "p",
        "Succeeded",
        {
            "validity": "INVALID",
            "validityReasons": [hostile],
            "latencyObjective": hostile,
            "machine": {"cpuModel": hostile},
            "error": {"message": hostile},
        },
    )
    shown = notebook_html(view, report_path='a"b<c>.html', note=hostile)
    assert "<img" not in shown
    assert shown.count("&lt;img src=x onerror=alert(1)&gt;") == 5
    assert 'href="a%22b%3Cc%3E.html"' in shown


def test_a_failed_profile_says_why(tmp_path: Path) -> None:
    profile = _stored(tmp_path, "Failed", {"error": {"message": "init() raised KeyError"}})
    shown = profile._repr_html_()
    assert '<span style="color:#cf222e;font-weight:bold">Failed</span>' in shown
    assert "init() raised KeyError" in shown


def test_the_notebook_bars_are_html_and_plain_text_without_terminal_codes(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "ws")
    store.profiles.create("p", None, {})
    store.profiles.update("p", state="Running")
    profile = ModelProfile._run_here(store, "p")
    for phase in ("prepare", "coldstart", "measurement"):
        profile._on_progress(phase, 0.5, "")
    profile._on_progress("measurement", 0.25, "40 q/s <poisson>")
    phases = _Phases(_bars())
    assert phases.sync(profile) == "Running"
    bundle = notebook_bundle(phases.bar)
    lines = bundle["text/plain"].splitlines()
    assert [line.split()[0] for line in lines] == ["Prepare", "Cold", "Measurement"]
    assert "40 q/s <poisson>" in lines[2]
    assert "\x1b" not in bundle["text/plain"]
    assert "\r" not in bundle["text/plain"]
    assert "40 q/s &lt;poisson&gt;" in bundle["text/html"]
    assert bundle["text/html"].startswith("<pre ")
