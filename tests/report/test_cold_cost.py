"""The report says what a request costs after an idle gap, or why it was not measured."""

from __future__ import annotations

from typing import Any

import pytest

from servesize.report import render

from .conftest import make_view

STEP = {
    "backToBackCpuMs": 3.3,
    "backToBackAfterCpuMs": 3.2,
    "loneCpuMs": 3.9,
    "loneIdleMs": 99.6,
    "midCpuMs": 3.5,
    "midIdleMs": 25.0,
    "reason": None,
}


def _row(sizing_model: dict[str, Any] | None) -> str:
    view = make_view("valid")
    if sizing_model is None:
        view.details.pop("sizingModel", None)
    else:
        view.details["sizingModel"] = sizing_model
    text = render(view, "md")
    return next(line for line in text.splitlines() if "after an idle gap" in line)


def test_a_measured_cold_cost_is_shown_with_what_it_came_from() -> None:
    row = _row({"coldExtra": 0.19, "coolInMs": 58.0, "coldCost": STEP})
    assert "+19% after a long gap" in row
    assert "half of it after 40 ms" in row  # 58 ms x ln 2
    assert "3.25 ms back to back" in row
    assert "3.90 ms alone" in row


@pytest.mark.parametrize(
    ("fitted", "shown"),
    [
        ({"coldExtra": None, "coolInMs": None, "coldCost": STEP}, "no dearer"),
        (
            {"coldCost": {**STEP, "reason": "the host's speed changed"}},
            "not measured: the host's speed changed",
        ),
        ({"coldExtra": None}, "—"),  # the setting off, or a profile from before the step
        (None, "—"),
    ],
)
def test_no_cold_cost_says_why(fitted: dict[str, Any] | None, shown: str) -> None:
    assert shown in _row(fitted)
