"""Kubernetes resources and the Azure deployment configuration."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from servesize.errors import ProfileError
from servesize.report import ProfileView, k8s_quantities, render

from .conftest import make_view


def _with(view: ProfileView, **details: object) -> ProfileView:
    return dataclasses.replace(view, details={**view.details, **details})


def test_k8s_parses_as_yaml_with_kubernetes_quantities(valid_view: ProfileView) -> None:
    doc = yaml.safe_load(render(valid_view, "k8s"))
    # 0.5 cores -> 500m; 0.75 GiB -> 768Mi; limit 768Mi x 1.15 = 883.2 -> 884Mi
    assert doc == {
        "resources": {"requests": {"cpu": "500m", "memory": "768Mi"},
                      "limits": {"memory": "884Mi"}}
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cpu", "memory", "margin", "expected"),
    [
        (0.3, 0.3, 0.15, {"cpu": "300m", "memory": "308Mi", "memoryLimit": "354Mi"}),
        (2.0, 4.0, 0.0, {"cpu": "2000m", "memory": "4096Mi", "memoryLimit": "4096Mi"}),
        (0.1, 0.1, 0.25, {"cpu": "100m", "memory": "103Mi", "memoryLimit": "128Mi"}),
    ],
)
def test_quantities_round_up(
    valid_view: ProfileView, cpu: float, memory: float, margin: float, expected: dict[str, str]
) -> None:
    settings = {**valid_view.details["settings"], "safety_margin": margin}
    view = _with(valid_view, recommendedCpu=cpu, recommendedMemoryInGB=memory, settings=settings)
    assert k8s_quantities(view) == expected


def test_safety_margin_defaults_to_15_percent(valid_view: ProfileView) -> None:
    view = _with(valid_view, settings={})
    assert k8s_quantities(view)["memoryLimit"] == "884Mi"


def test_safety_margin_is_read_under_its_stored_name_only(valid_view: ProfileView) -> None:
    # settings are stored as ProfileSettings.to_dict(): one spelling, no guessing
    view = _with(valid_view, settings={"safetyMargin": 0.0})
    assert k8s_quantities(view)["memoryLimit"] == "884Mi"
    view = _with(valid_view, settings={"safety_margin": 0.0})
    assert k8s_quantities(view)["memoryLimit"] == "768Mi"


def test_k8s_of_an_invalid_profile_says_why_in_comments() -> None:
    text = render(make_view("invalid"), "k8s")
    assert "# INVALID because: the achieved rate 31.0 q/s" in text
    assert yaml.safe_load(text)["resources"]["requests"]["cpu"] == "500m"


def test_k8s_comment_cannot_be_escaped_by_a_name(valid_view: ProfileView) -> None:
    view = dataclasses.replace(valid_view, name="x\nresources: {}")
    assert yaml.safe_load(render(view, "k8s"))["resources"]["requests"]["memory"] == "768Mi"


def test_azure_deployment_config(valid_view: ProfileView) -> None:
    doc = json.loads(render(valid_view, "azure"))
    assert doc == {"computeType": "aci",
                   "containerResourceRequirements": {"cpu": 0.5, "memoryInGB": 0.75}}  # fmt: skip


@pytest.mark.parametrize("kind", ["failed", "cancelled"])
@pytest.mark.parametrize("fmt", ["k8s", "azure"])
def test_no_recommendation_is_a_one_line_error(kind: str, fmt: str) -> None:
    with pytest.raises(ProfileError) as info:
        render(make_view(kind), fmt)
    message = str(info.value)
    assert "\n" not in message
    assert f"profile 'ridge-{kind}' has no recommendation to export" in message
