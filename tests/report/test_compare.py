"""compare(a, b): the side-by-side table and the regression gate."""

from __future__ import annotations

import dataclasses

import pytest

from servesize.errors import InvalidInputError
from servesize.report import ProfileView, compare, parse_threshold

from .conftest import make_view


def _with(view: ProfileView, name: str, **details: object) -> ProfileView:
    return dataclasses.replace(view, name=name, details={**view.details, **details})


def test_identical_profiles_do_not_regress(valid_view: ProfileView) -> None:
    result = compare(valid_view, valid_view)
    assert not result.regressed
    assert {row.metric: row.ratio for row in result.rows}["latencyPercentile99InMs"] == 1.0
    assert [row.metric for row in result.rows][:3] == [
        "latencyPercentile99InMs", "latencyPercentile50InMs", "maxSustainableQueriesPerSecond",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "regressed"),
    [
        ({"latencyPercentile99InMs": 41.3 * 1.2}, True),
        ({"latencyPercentile99InMs": 41.3 * 1.05}, False),
        ({"maxSustainableQueriesPerSecond": 51.0 * 0.8}, True),
        ({"maxSustainableQueriesPerSecond": 51.0 * 1.5}, False),
        ({"recommendedCpu": 0.6}, True),
        ({"recommendedMemoryInGB": 0.9}, True),
        ({"recommendedMemoryInGB": 0.5}, False),
        ({"latencyPercentile50InMs": 100.0, "coldStartSeconds": 30.0}, False),  # shown only
    ],
)
def test_regression_gate(
    valid_view: ProfileView, change: dict[str, float], regressed: bool
) -> None:
    result = compare(valid_view, _with(valid_view, "b", **change))
    assert result.regressed is regressed
    assert any(row.worse for row in result.rows) is regressed


def test_threshold_is_honoured(valid_view: ProfileView) -> None:
    b = _with(valid_view, "b", latencyPercentile99InMs=41.3 * 1.2)
    assert compare(valid_view, b, max_regression=0.25).regressed is False


def test_a_failed_candidate_regresses(valid_view: ProfileView) -> None:
    result = compare(valid_view, make_view("failed"))
    assert result.regressed
    assert any("ridge-failed" in note and "Failed" in note for note in result.notes)


def test_to_dict_and_markdown(valid_view: ProfileView) -> None:
    b = _with(valid_view, "b", recommendedCpu=1.0)
    result = compare(valid_view, b)
    doc = result.to_dict()
    assert doc["regressed"] is True
    cpu = next(r for r in doc["rows"] if r["metric"] == "recommendedCpu")
    assert cpu == {"metric": "recommendedCpu", "label": "recommended CPU", "unit": "cores",
                   "a": 0.5, "b": 1.0, "ratio": 2.0, "worse": True}  # fmt: skip
    assert "| recommended CPU | 0.50 cores | 1.00 cores | 2.00x ⚠ |" in result.to_markdown()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10%", 0.1),
        ("0.1", 0.1),
        ("0", 0.0),
        ("5.5%", 0.055),
        ("150%", 1.5),
        ("2.5", 2.5),
        (" 10 ", 10.0),
        (3, 3.0),
    ],
)
def test_parse_threshold(text: str, value: float) -> None:
    assert parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "-5%", "-0.1", "nan", "inf", "%", ""])
def test_parse_threshold_rejects_nonsense(text: str) -> None:
    with pytest.raises(InvalidInputError, match=r"use a share >= 0 like 10%, 150% or 0\.1"):
        parse_threshold(text)
