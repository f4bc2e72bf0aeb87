"""The HTML report in a real headless Chromium: no errors, no requests, charts drawn."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from servesize.report import write_report

from .chromium import find_chromium, load
from .conftest import make_view

# Drawn chart content: polylines with points, paths with a d, circles; "no data" boxes.
COUNT_JS = """(() => {
  const lines = [...document.querySelectorAll('svg.chart polyline')]
    .filter(e => (e.getAttribute('points') || '').trim().split(' ').length >= 1
                 && (e.getAttribute('points') || '').trim() !== '');
  const paths = [...document.querySelectorAll('svg.chart path')]
    .filter(e => (e.getAttribute('d') || '').length > 2);
  const boxes = [...document.querySelectorAll('svg.chart')]
    .map(s => s.getBoundingClientRect()).filter(r => r.width > 200 && r.height > 50);
  return {polylines: lines.length, paths: paths.length, charts: boxes.length,
          nodata: document.querySelectorAll('.nodata').length,
          text: document.body.innerText};
})()"""


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (make test-deps installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return binary


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["valid", "failed"])
def test_report_renders_offline_without_errors(chromium: str, tmp_path: Path, kind: str) -> None:
    view = make_view(kind)
    page = write_report(view, tmp_path / f"{kind}.html")
    result = load(chromium, page, tmp_path / "chromium-profile", COUNT_JS)

    assert result.console_errors == []
    page_uri = page.resolve().as_uri()
    assert [url for url in result.requests if url != page_uri] == []
    width, height = _png_size(result.screenshot)
    assert width == 1280
    assert height > 900
    assert len(result.screenshot) > 20_000  # a real page, not a blank one
    (tmp_path / f"{kind}.png").write_bytes(result.screenshot)
    if os.environ.get("SERVESIZE_SCREENSHOT_DIR"):  # to look at it (docs/example-report.png)
        Path(os.environ["SERVESIZE_SCREENSHOT_DIR"], f"{kind}.png").write_bytes(result.screenshot)

    counts = result.evaluated
    if kind == "valid":
        # capacity p99+p50, CDF, CPU, memory, throughput, latency p99+p50 = 8 polylines
        assert counts["polylines"] >= 8
        assert counts["charts"] >= 7
        assert counts["nodata"] == 0
        assert "recommended cpu" in counts["text"].lower()
        assert "VALID" in counts["text"]
    else:
        assert "init() raised FileNotFoundError" in counts["text"]
        assert counts["polylines"] >= 2  # the partial CPU and memory samples
        assert counts["nodata"] >= 3  # capacity, CDF, windows: said, not broken
