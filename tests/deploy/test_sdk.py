"""The SDK's ``skus=``, ``prices=`` and ``instance_type=``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servesize.errors import InvalidInputError
from servesize.sdk import ModelProfile, profile
from servesize.workspace import Store


def test_report_recomputes_with_the_prices_given(stored: Path, tmp_path: Path) -> None:
    handle = ModelProfile(stored, "p")
    path = handle.report(
        tmp_path / "p.json", "json", prices={"core-hour": 0.05}, instance_type="Standard_D4as_v4"
    )
    details = json.loads(path.read_text())["details"]
    assert details["deployment"]["instanceType"] == "Standard_D4as_v4"
    assert details["deployment"]["chosenBy"] == "the SKU asked for (--instance-type)"
    assert details["cost"]["perHour"] == pytest.approx(4 * 0.05)
    yaml_path = handle.report(tmp_path / "p.yml", "azureml")
    assert "instance_type: Standard_F4s_v2" in yaml_path.read_text()  # stored: unchanged


def test_a_bad_price_fails_before_anything_starts(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    with pytest.raises(InvalidInputError, match="has no unit"):
        profile(workspace, "never", [], None, "rows:1", prices=["0.05"])
    assert not Store.open(workspace).exists() or not Store.open(workspace).profiles.list()
