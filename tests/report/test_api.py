"""The public surface of servesize.report (pinned: others code against it)."""

from __future__ import annotations

import servesize.report
from servesize.report import ProfileView, default_filename, print_summary, summary_table


def test_exported_members() -> None:
    assert set(servesize.report.__all__) == {
        "FORMATS", "Comparison", "ComparisonRow", "ProfileView", "compare", "comparison_table",
        "default_filename", "fmt", "fmt_ms", "k8s_quantities", "notebook_html", "parse_threshold",
        "plan_summary", "print_summary", "render",
        "summary_table", "with_deployment", "write_report",
    }  # fmt: skip
    assert servesize.report.FORMATS[:6] == ("html", "md", "json", "csv", "csv-samples", "k8s")


def test_default_filename_is_safe() -> None:
    assert default_filename("ridge-v1") == "ridge-v1.html"
    assert default_filename("../../etc/passwd", "k8s") == "_.._etc_passwd.yaml"
    assert default_filename("a", "azure") == "a.deploymentconfig.json"
    assert default_filename("a", "azure-v1") == "a.deploymentconfig.json"
    assert default_filename("a", "azureml") == "a.deployment.yml"


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


def _summary_rows(view: ProfileView) -> dict[str, str]:
    from rich.console import Console

    console = Console(record=True, width=120)
    print_summary(view, console)
    rows = (line.strip().split("  ", 1) for line in console.export_text().splitlines())
    return {row[0]: row[1].strip() for row in rows if len(row) == 2}


def test_summary_says_the_cpu_per_query_and_the_machine() -> None:
    """What tells a slower machine from a broken install (README, "A session")."""
    from .conftest import make_view

    rows = _summary_rows(make_view("valid"))
    assert rows["CPU per query"] == "11.2 ms"
    assert rows["machine"] == "AMD EPYC 7763 64-Core Processor, 2 CPUs"
    # a profile stored before cpuModel was recorded
    assert (
        _summary_rows(ProfileView("old", "Succeeded", {"machine": {"cpuCount": 4}}))["machine"]
        == "4 CPUs"
    )
    assert _summary_rows(ProfileView("none", "Failed", {}))["CPU per query"] == "—"


def test_summary_says_how_fast_the_cpu_ran_when_it_was_timed() -> None:
    import dataclasses

    from .conftest import make_view

    view = make_view("valid")
    assert "CPU speed" not in _summary_rows(view)  # a profile from before the probe
    timed = dataclasses.replace(view, details={**view.details, "machineSlowdown": 1.31})
    assert _summary_rows(timed)["CPU speed"] == "1.31x its fastest time"
