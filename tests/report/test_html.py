"""The HTML report is self-contained, escapes user text and degrades gracefully."""

from __future__ import annotations

import re
from typing import Any

from servesize.report import ProfileView, render

from .conftest import make_view


def test_html_is_self_contained(valid_view: ProfileView) -> None:
    html = render(valid_view, "html")
    assert "<script" not in html
    assert "<link" not in html
    assert "url(" not in html
    assert "@import" not in html
    # the only URL is the SVG namespace, which is an identifier, never fetched
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls == {"http://www.w3.org/2000/svg"}


def test_html_escapes_every_user_string() -> None:
    evil = '<script>alert("x")</script>'
    view = make_view("failed", name="evil")
    details = dict(view.details, description=evil, error={"message": evil},
                   settings={evil: evil}, errorsByKind={evil: 2})  # fmt: skip
    html = render(ProfileView(evil, "Failed", details, {}, view.series), "html")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_charts_show_no_data_instead_of_breaking() -> None:
    html = render(ProfileView("empty", "Running", {}, {}, {}), "html")
    assert html.count('class="nodata"') >= 6
    assert "<polyline" not in html


def test_single_point_series_draw_a_dot() -> None:
    series: dict[str, list[dict[str, Any]]] = {
        "samples": [{"t": 0.0, "phase": "coldstart", "cpu": 0.2, "memoryInGB": 0.1}],
        "capacity": [{"concurrency": 1, "measuredQueriesPerSecond": 10.0,
                      "latencyPercentile50InMs": 5.0, "latencyPercentile99InMs": 9.0}],
        "latency_histogram": [{"upperMs": 10.0, "count": 3}],
        "windows": [{"t": 0.0, "measuredQueriesPerSecond": 3.0}],
    }  # fmt: skip
    html = render(ProfileView("one", "Cancelled", {}, {}, series), "html")
    assert "nan" not in html.lower()
    assert html.count("<circle") >= 4


def test_chosen_operating_point_is_marked(valid_view: ProfileView) -> None:
    html = render(valid_view, "html")
    assert "sustainable 51.0 q/s" in html
    assert ">measurement</text>" in html


def test_limits_and_recommendation_are_drawn_as_dashed_lines(valid_view: ProfileView) -> None:
    html = render(valid_view, "html")
    assert html.count('stroke-dasharray="6 4"') >= 4  # CPU and memory: limit + recommendation


def test_oom_kill_is_marked_on_the_memory_chart() -> None:
    assert "OOM kill</text>" in render(make_view("oom"), "html")


def test_long_series_are_thinned(valid_view: ProfileView) -> None:
    samples = [{"t": i / 10, "phase": "measurement", "cpu": (i % 7) / 7, "memoryInGB": 0.5}
               for i in range(50_000)]  # fmt: skip
    view = ProfileView("long", "Succeeded", valid_view.details, {}, {"samples": samples})
    html = render(view, "html")
    assert len(html) < 400_000


def test_a_limit_far_above_the_usage_is_named_not_drawn(valid_view: ProfileView) -> None:
    from servesize.report._charts import usage_over_time

    drawn = usage_over_time(valid_view, "memory")
    assert ">limit</text>" in drawn
    # the machine's free memory as the default limit: 100x the usage
    details = {**valid_view.details, "requestedMemoryInGB": 100.0}
    far = ProfileView("far", "Succeeded", details, {}, valid_view.series)
    svg = usage_over_time(far, "memory")
    assert "off scale" in svg
    assert ">limit</text>" not in svg
    assert ">recommendation</text>" in svg


def test_the_plan_chart_draws_what_the_plan_lets_a_replica_carry() -> None:
    from servesize.report import ProfileView
    from servesize.report._plan import plan_charts

    rows = [
        {"t": 15 * k, "rate": 20.0, "desiredReplicas": 2, "readyReplicas": 2,
         "predictedPercentileMs": 8.0}
        for k in range(8)
    ]  # fmt: skip
    replica = {"ratePerReplicaWithinObjective": 30.0, "plannedQueriesPerSecondAtMost": 12.5}
    details = {
        "latencyObjective": "p99<=40ms",
        "autoscaling": {
            "autoscaler": "hpa", "hpa": {"targetCPUUtilizationPercentage": 40},
            "timeline": rows, "replica": replica, "predicted": {"staticReplicas": 3},
        },
    }  # fmt: skip
    demand = plan_charts(ProfileView("p", "Succeeded", details))[0][1]
    assert "ready replicas x 12.5/s" in demand  # held to 1.25x the measured rate
    del replica["plannedQueriesPerSecondAtMost"]  # a plan on the model alone
    assert "ready replicas x 30/s" in plan_charts(ProfileView("p", "Succeeded", details))[0][1]
