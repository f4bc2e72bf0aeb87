"""The public surface of servesize.report (pinned: others code against it)."""

from __future__ import annotations

import servesize.report
from servesize.report import ProfileView, default_filename, print_summary, summary_table


def test_exported_members() -> None:
    assert set(servesize.report.__all__) == {
        "FORMATS", "Comparison", "ComparisonRow", "ProfileView", "compare", "comparison_table",
        "default_filename", "fmt", "fmt_ms", "k8s_quantities", "parse_threshold", "print_summary",
        "plan_summary", "render",
        "summary_table", "write_report",
    }  # fmt: skip
    assert servesize.report.FORMATS[:6] == ("html", "md", "json", "csv", "csv-samples", "k8s")


def test_default_filename_is_safe() -> None:
    assert default_filename("ridge-v1") == "ridge-v1.html"
    assert default_filename("../../etc/passwd", "k8s") == "_.._etc_passwd.yaml"
    assert default_filename("a", "azure") == "a.deploymentconfig.json"


def test_summary_lists_the_recommendation_first(any_view: ProfileView) -> None:
    from rich.console import Console

    console = Console(record=True, width=120)
    print_summary(any_view, console)
    text = console.export_text()
    assert text.index("Recommendation") < text.index("Latency") < text.index("Verdict")
    assert any_view.state in text or (any_view.validity or "") in text
    if any_view.error_message:
        assert any_view.error_message.split()[0] in text
    assert summary_table(any_view).columns
