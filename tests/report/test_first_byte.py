"""The report shows time to first byte when a service answered before it finished."""

from __future__ import annotations

import pytest

from servesize.report import render

from .conftest import make_view


def _latency_table(first_byte: dict[str, float]) -> str:
    view = make_view("valid")
    view.details.update(
        latencyPercentile50InMs=40.0, latencyPercentile90InMs=55.0, latencyPercentile99InMs=80.0
    )
    view.details.update(first_byte)
    text = render(view, "md")
    start = text.index("Latency (measurement)")
    return text[start : text.index("\n\n", text.index("|", start))]


def test_a_streaming_service_shows_its_first_byte() -> None:
    table = _latency_table(
        {
            "timeToFirstBytePercentile50InMs": 4.0,
            "timeToFirstBytePercentile90InMs": 6.0,
            "timeToFirstBytePercentile99InMs": 9.5,
        }
    )
    assert "time to first byte" in table
    last_cells = {
        cells[1].strip(): cells[-2].strip()
        for cells in (line.split("|") for line in table.splitlines() if line.startswith("| p"))
    }
    assert last_cells["p50"].startswith("4")
    assert last_cells["p99"].startswith("9.5")
    assert last_cells["p95"] == "—"  # not kept: only p50, p90, p99 are


@pytest.mark.parametrize("first_byte", [{}, {"timeToFirstBytePercentile50InMs": 39.99}])
def test_first_byte_with_the_last_is_not_shown(first_byte: dict[str, float]) -> None:
    assert "time to first byte" not in _latency_table(first_byte)
