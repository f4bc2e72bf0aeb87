"""``servesize profile report`` with --skus/--price/--instance-type: recomputed from the
stored profile, one line for each mistake, and the arithmetic in every report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rich.console import Console

from servesize.cli import main
from servesize.deploy import DeployOptions
from servesize.report import ProfileView, print_summary, render, with_deployment
from servesize.workspace import Store


def _run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["servesize", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_recomputes_cost_without_changing_the_store(
    stored: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("profile", "report", "p", "--workspace", str(stored), "--format", "json", "-o", "-")
    code, out, _ = _run(capsys, monkeypatch, *args, "--price", "core-hour=0.05")
    assert code == 0
    doc = json.loads(out)
    assert doc["details"]["deployment"]["instanceType"] == "Standard_F4s_v2"
    cost = doc["details"]["cost"]
    assert cost["perMillionRequests"] == pytest.approx(cost["perHour"] / 1.08, rel=1e-5)
    assert any("per million requests" in line for line in cost["arithmetic"])
    assert "cost" not in Store.open(stored).profiles.get("p").details


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--price", "0.05"], "error: price '0.05' has no unit"),
        (["--price", "euro=3"], "error: unknown price 'euro'"),
        (["--price", "gb-hour=lots"], "error: price gb-hour='lots' is not a number"),
        (["--instance-type", "Standard_Q1"], "error: unknown SKU 'Standard_Q1'"),
        (["--skus", "BAD"], "line 1: missing column memoryInGB"),
    ],
)
def test_each_mistake_is_one_line(
    stored: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    message: str,
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("instanceType,vcpus\nx,2\n")
    extra = [str(bad) if e == "BAD" else e for e in extra]
    target = tmp_path / "out.yml"
    args = ("profile", "report", "p", "--workspace", str(stored), "--format", "azureml")
    code, out, err = _run(capsys, monkeypatch, *args, "-o", str(target), *extra)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert not target.exists()


def test_azure_is_the_v1_file_under_a_note(
    stored: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("profile", "report", "p", "--workspace", str(stored), "-o", "-")
    code, out, err = _run(capsys, monkeypatch, *args, "--format", "azure")
    assert code == 0
    assert json.loads(out)["computeType"] == "aci"
    assert "retired Azure ML v1" in err
    assert "--format azureml" in err
    code, out_v1, err = _run(capsys, monkeypatch, *args, "--format", "azure-v1")
    assert (code, out_v1, err) == (0, out, "")


def test_every_human_report_shows_the_arithmetic(stored: Path) -> None:
    view = ProfileView.from_store(Store.open(stored), "p")
    view = with_deployment(view, DeployOptions.parse(prices=["core-hour=0.05"]))
    line = view.details["cost"]["arithmetic"][-1]
    assert "per million requests at 300 requests/s" in line
    for fmt in ("md", "html", "json"):
        assert line in render(view, fmt).replace("&#x27;", "'"), fmt
    console = Console(record=True, width=400)
    print_summary(view, console)
    summary = console.export_text()
    assert line in summary
    assert "Standard_F4s_v2 x 1" in summary


def test_a_plan_added_after_the_profile_is_used_with_the_stored_prices(stored: Path) -> None:
    from servesize.deploy import plan_deployment

    from .conftest import PLAN, details

    store = Store.open(stored)
    # as the profile stored it when it ended, with prices, before any traffic plan
    deployment, cost = plan_deployment(details(), DeployOptions.parse(prices=["core-hour=0.05"]))
    store.profiles.update("p", details={**details(), "deployment": deployment, "cost": cost})
    assert "autoscale" not in render(ProfileView.from_store(store, "p"), "azureml")
    # servesize profile plan adds a traffic plan to the details later
    store.profiles.update("p", details={**details(**PLAN), "deployment": deployment, "cost": cost})
    view = ProfileView.from_store(store, "p")
    text = render(view, "azureml")
    assert "# az monitor autoscale create" in text
    assert "# cost, per day of the traffic plan" in text
    assert "x 0.05" in text  # the prices the profile was given
