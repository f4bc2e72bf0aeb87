"""A stored plan as Kubernetes and KEDA resources, validated offline: the HPA against
Kubernetes' schemas (kubernetes-validate), KEDA's kinds against the openAPIV3Schema of
KEDA's published CRDs (tests/planning/crds, Apache-2.0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from servesize.errors import ProfileError
from servesize.planning import make_plan
from servesize.report import ProfileView, render
from servesize.workspace import Figures, PlanConfirmation

from .helpers import poisson_arrivals, sized_figures

CRDS = Path(__file__).parent / "crds"


@pytest.fixture(scope="module")
def view() -> ProfileView:
    figures = sized_figures()
    arrivals = poisson_arrivals([(300, 10.0), (120, 45.0), (300, 15.0)])
    figures.autoscaling = make_plan(figures, arrivals).figure
    figures.traffic = {"source": "synthetic", "requests": len(arrivals)}
    return ProfileView("Diabetes_Forest.v2", "Succeeded", figures.to_details())


def _documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def _crd_schema(file: str) -> dict[str, Any]:
    crd = yaml.safe_load((CRDS / file).read_text(encoding="utf-8"))
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def test_k8s_output_has_a_valid_autoscaling_v2_hpa_with_the_plan(view: ProfileView) -> None:
    docs = _documents(render(view, "k8s"))
    hpa = next(d for d in docs if d.get("kind") == "HorizontalPodAutoscaler")
    kubernetes_validate.validate(hpa, kubernetes_validate.latest_version(), strict=True)
    plan = view.figures.autoscaling
    assert plan is not None
    assert plan.hpa is not None
    spec = hpa["spec"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["metadata"]["name"] == "diabetes-forest-v2"  # a valid DNS-1123 name
    assert spec["minReplicas"] == plan.hpa["minReplicas"]
    assert spec["maxReplicas"] == plan.hpa["maxReplicas"]
    target = spec["metrics"][0]["resource"]["target"]
    assert target == {
        "type": "Utilization",
        "averageUtilization": plan.hpa["targetCPUUtilizationPercentage"],
    }
    assert spec["behavior"] == plan.hpa["behavior"]
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] in (300, 120, 60)
    assert spec["behavior"]["scaleUp"]["selectPolicy"] == "Max"


def test_a_broken_hpa_fails_the_validator(view: ProfileView) -> None:
    # the validator is real: the same document with a wrong field type is refused
    hpa = next(d for d in _documents(render(view, "k8s")) if d.get("kind"))
    hpa["spec"]["maxReplicas"] = "many"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, kubernetes_validate.latest_version(), strict=True)


def test_keda_output_validates_against_kedas_crds(view: ProfileView) -> None:
    http, scaled = _documents(render(view, "keda"))
    jsonschema.validate(http, _crd_schema("http.keda.sh_httpscaledobjects.yaml"))
    jsonschema.validate(scaled, _crd_schema("keda.sh_scaledobjects.yaml"))
    plan = view.figures.autoscaling
    assert plan is not None
    assert plan.keda is not None
    rate = http["spec"]["scalingMetric"]["requestRate"]
    assert rate["targetValue"] == plan.keda["requestRateTargetValue"]
    assert rate["window"] == "60s"
    # the add-on must not create its own ScaledObject: ours carries the behavior
    annotations = http["metadata"]["annotations"]
    assert annotations["httpscaledobject.keda.sh/skip-scaledobject-creation"] == "true"
    assert scaled["metadata"]["name"] != http["metadata"]["name"]
    assert scaled["spec"]["triggers"][0]["metadata"]["httpScaledObject"] == "diabetes-forest-v2"
    assert (
        scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
        == plan.keda["behavior"]
    )
    assert scaled["spec"]["minReplicaCount"] == plan.keda["minReplicaCount"]


def test_the_crd_schema_refuses_a_wrong_field() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"spec": {"scalingMetric": {"requestRate": {"targetValue": "fast"}}}},
            _crd_schema("http.keda.sh_httpscaledobjects.yaml"),
        )


def test_without_a_plan_keda_says_how_to_make_one() -> None:
    view = ProfileView("p", "Succeeded", Figures(recommended_cpu=1.0).to_details())
    with pytest.raises(ProfileError, match="servesize profile plan p --traffic"):
        render(view, "keda")


def test_reports_show_the_plan(view: ProfileView) -> None:
    html = render(view, "html")
    assert "Autoscaling plan" in html
    assert html.count("<svg") >= 3
    md = render(view, "md")
    assert "## Autoscaling plan (p90<=40ms)" in md
    assert "replica-hours" in md


def test_the_report_sets_what_the_confirmation_measured_beside_the_plan() -> None:
    figures = sized_figures()
    arrivals = poisson_arrivals([(300, 10.0), (120, 45.0), (300, 15.0)])
    plan = make_plan(figures, arrivals).figure
    assert plan.confirmation is None  # planned, not confirmed: nothing measured to show
    plan.confirmation = PlanConfirmation(
        predicted_ms=30.0,
        measured_ms=12.0,
        met=True,
        replicas=1,
        cpu_seconds_per_query=0.0035,
        predicted_at_measured_cpu_ms=14.5,
        machine_slowdown=1.12,
        predicted_at_measured_speed_ms=33.0,
        throttled_share=0.094,
    )
    figures.autoscaling = plan
    md = render(ProfileView("p", "Succeeded", figures.to_details()), "md")
    assert plan.replica is not None
    planned = plan.replica["cpuSecondsPerQuery"] * 1000
    line = next(x for x in md.splitlines() if "confirmation measured" in x)
    assert f"CPU 3.50 ms a request ({planned:.2f} planned), 14.5 ms predicted at it" in line
    assert "1.12x slower than at its fastest, 33 ms predicted at that speed" in line
    assert "the quota ran out in 9.40 % of periods" in line
