"""Axis ticks and thinning of the SVG charts."""

from __future__ import annotations

import pytest

from servesize.report._charts import phase_bands, thin
from servesize.report._svg import log_ticks, nice_ticks, tick_label


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 52.3, [0, 10, 20, 30, 40, 50, 60]),
        (0, 1.25, [0, 0.25, 0.5, 0.75, 1.0, 1.25]),
        (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (3, 3, [3, 3.25, 3.5, 3.75, 4, 4.25, 4.5]),
    ],
)
def test_nice_ticks(lo: float, hi: float, expected: list[float]) -> None:
    assert nice_ticks(lo, hi) == pytest.approx(expected)


def test_log_ticks_cover_the_range() -> None:
    assert log_ticks(3.2, 750) == pytest.approx([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
    assert log_ticks(0.01, 10_000) == pytest.approx([0.01, 0.1, 1, 10, 100, 1000, 10_000])


def test_tick_labels() -> None:
    assert [tick_label(v) for v in (0, 0.25, 2.0, 1500.0)] == ["0", "0.25", "2", "1,500"]


def test_thin_keeps_peaks_and_order() -> None:
    pts = [(float(i), 1.0) for i in range(10_000)]
    pts[5_000] = (5_000.0, 99.0)
    out = thin(pts, 1000)
    assert len(out) <= 1000
    assert (5_000.0, 99.0) in out
    assert [p[0] for p in out] == sorted(p[0] for p in out)


def test_phase_bands_are_contiguous_runs() -> None:
    rows = [{"t": 0, "phase": "a"}, {"t": 1, "phase": "a"}, {"t": 2, "phase": "b"},
            {"t": 3, "phase": "b"}]  # fmt: skip
    assert [(b.label, b.start, b.end) for b in phase_bands(rows)] == [("a", 0, 2), ("b", 2, 3)]
