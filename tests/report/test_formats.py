"""Every format renders every kind of profile and says what happened."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from servesize.errors import InvalidInputError, ProfileError
from servesize.report import FORMATS, ProfileView, render, write_report

from .conftest import make_view

HUMAN = ("html", "md")
NEEDS_RECOMMENDATION = ("k8s", "azureml", "azure-v1")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_every_profile(any_view: ProfileView, fmt: str) -> None:
    if fmt in NEEDS_RECOMMENDATION and not any_view.has_recommendation:
        with pytest.raises(ProfileError, match="no recommendation to export"):
            render(any_view, fmt)
        return
    if fmt == "keda" and any_view.figures.autoscaling is None:
        with pytest.raises(ProfileError, match="no autoscaling plan"):
            render(any_view, fmt)
        return
    text = render(any_view, fmt)
    assert text.strip()
    assert text.endswith("\n")


@pytest.mark.parametrize("fmt", HUMAN)
def test_human_formats_say_what_happened(any_view: ProfileView, fmt: str) -> None:
    text = render(any_view, fmt)
    plain = re.sub(r"<[^>]+>", " ", text).replace("&#x27;", "'").replace("&lt;", "<")
    plain = plain.replace("&gt;", ">").replace("\\|", "|")
    assert any_view.state in plain
    if any_view.error_message:
        assert any_view.error_message in plain
    for reason in any_view.validity_reasons:
        assert reason in plain
    if any_view.get("limitsEnforced") is False:
        assert "limits were not enforced" in plain
        assert str(any_view.get("limitsNote")) in plain
    if any_view.get("oomKilled"):
        assert "killed for lack of memory" in plain
    if any_view.has_recommendation:
        assert "0.50 cores" in plain
    assert str(any_view.log_location) in plain
    if any_view.section("environment"):  # exactly what the script ran in
        assert "sk:2" in plain
        assert "built in 1.8 s" in plain
        assert "joblib==1.4.2, numpy==2.1.3, scikit-learn==1.5.2" in plain


def test_json_round_trips_with_every_series(valid_view: ProfileView) -> None:
    doc = json.loads(render(valid_view, "json"))
    assert doc["name"] == "ridge-valid"
    assert doc["modelIds"] == ["ridge:1"]
    assert doc["details"]["recommendedCpu"] == 0.5
    assert set(doc["series"]) == {"samples", "windows", "capacity", "latency_histogram"}
    assert doc["series"]["samples"] == valid_view.series["samples"]
    assert doc["series"]["capacity"][2]["concurrency"] == 4


def test_json_turns_non_finite_numbers_into_null() -> None:
    view = ProfileView("x", "Failed", {"averageLatencyInMs": float("nan")}, {}, {})
    doc = json.loads(render(view, "json"))
    assert doc["details"]["averageLatencyInMs"] is None


def test_csv_has_stable_columns_and_one_row_per_window(valid_view: ProfileView) -> None:
    rows = list(csv.reader(io.StringIO(render(valid_view, "csv"))))
    assert rows[0] == [
        "t", "phase", "queries", "successQueries", "errors", "measuredQueriesPerSecond",
        "latencyPercentile50InMs", "latencyPercentile99InMs",
    ]  # fmt: skip
    assert len(rows) == 1 + len(valid_view.series["windows"])
    assert {r[1] for r in rows[1:]} == {"measurement", "confirmation"}


def test_csv_of_a_profile_without_windows_is_just_the_header() -> None:
    assert render(make_view("failed"), "csv").count("\n") == 1


def test_csv_samples(valid_view: ProfileView) -> None:
    rows = list(csv.DictReader(io.StringIO(render(valid_view, "csv-samples"))))
    assert len(rows) == len(valid_view.series["samples"])
    assert float(rows[-1]["memoryInGB"]) > 0


def test_unknown_format_is_a_user_error(valid_view: ProfileView) -> None:
    with pytest.raises(InvalidInputError, match="unknown report format 'pdf'"):
        render(valid_view, "pdf")


def test_write_report(valid_view: ProfileView, tmp_path: Path) -> None:
    path = write_report(valid_view, tmp_path / "r.md", "md")
    assert path.read_text(encoding="utf-8").startswith("# Profile `ridge-valid`")
    with pytest.raises(InvalidInputError, match="cannot write"):
        write_report(valid_view, tmp_path / "missing" / "r.md", "md")


def test_markdown_escapes_table_breaking_text() -> None:
    view = ProfileView("x", "Failed", {"error": {"message": "a | b\nc"}, "description": "d|e"})
    text = render(view, "md")
    assert "| Description | d\\|e |" in text


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_contention_and_throttling_per_phase(valid_view: ProfileView, fmt: str) -> None:
    text = render(valid_view, fmt)
    assert "CPU contention and throttling" in text
    # the confirmation ran under the smaller recommended quota: throttled more often
    assert "15.12 %" in text
    assert "of 100 periods" in text
    assert "0.93 s" in text
    if fmt == "html":
        assert 'aria-label="CPU contention and throttling over time"' in text
