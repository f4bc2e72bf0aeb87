"""An autoscaling plan as Kubernetes resources: the HorizontalPodAutoscaler
(autoscaling/v2) for ``--format k8s`` and the KEDA HTTP add-on's resources for
``--format keda``, from the stored plan alone (docs/planning.md).

KEDA: the add-on turns an ``HTTPScaledObject`` into a ScaledObject of its own, without
``behavior``.  To carry the planned behavior the ``HTTPScaledObject`` is marked
``httpscaledobject.keda.sh/skip-scaledobject-creation: "true"`` and a ScaledObject
(another name, as the add-on asks) points KEDA at the add-on's scaler with an
``external-push`` trigger, the setup the add-on documents for users managing their own
ScaledObject (kedacore/http-add-on, docs/walkthrough.md, "Integrating HTTP Add-On
Scaler with other KEDA scalers"); ``pollingInterval`` 15 s is the add-on's own.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from servesize.errors import ProfileError
from servesize.report._view import ProfileView
from servesize.workspace import Autoscaling

__all__ = ["hpa_resource", "hpa_yaml", "k8s_name", "keda_resources", "render_keda"]

#: where the add-on's Helm chart runs its external scaler (namespace keda)
ADDON_SCALER = "keda-add-ons-http-external-scaler.keda:9090"


def k8s_name(name: str) -> str:
    """A profile name as a DNS-1123 label (lower case, digits, '-'; at most 63)."""
    text = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (text or "model")[:63].rstrip("-") or "model"


def _plan(view: ProfileView) -> Autoscaling:
    plan = view.figures.autoscaling
    if plan is None or not plan.hpa or not plan.keda:
        raise ProfileError(
            f"profile {view.name!r} has no autoscaling plan: run "
            f"'servesize profile plan {view.name} --traffic FILE' first"
        )
    return plan


def _target(name: str) -> dict[str, str]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


def hpa_resource(view: ProfileView) -> dict[str, Any]:
    """The planned HorizontalPodAutoscaler for a Deployment named after the profile."""
    hpa = _plan(view).hpa or {}
    name = k8s_name(view.name)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": _target(name),
            "minReplicas": int(hpa["minReplicas"]),
            "maxReplicas": int(hpa["maxReplicas"]),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": int(hpa["targetCPUUtilizationPercentage"]),
                        },
                    },
                }
            ],
            "behavior": hpa["behavior"],
        },
    }


def keda_resources(view: ProfileView) -> list[dict[str, Any]]:
    """The HTTPScaledObject (its scaling metric) and the ScaledObject (its behavior)."""
    keda = _plan(view).keda or {}
    name = k8s_name(view.name)
    low, high = int(keda["minReplicaCount"]), int(keda["maxReplicaCount"])
    http = {
        "apiVersion": "http.keda.sh/v1alpha1",
        "kind": "HTTPScaledObject",
        "metadata": {
            "name": name,
            "annotations": {"httpscaledobject.keda.sh/skip-scaledobject-creation": "true"},
        },
        "spec": {
            "hosts": [f"{name}.example.com"],
            "pathPrefixes": ["/score"],
            "scaleTargetRef": {**_target(name), "service": name, "port": 5001},
            "replicas": {"min": low, "max": high},
            "scalingMetric": {
                "requestRate": {
                    "targetValue": int(keda["requestRateTargetValue"]),
                    "window": str(keda.get("window") or "1m"),
                    "granularity": str(keda.get("granularity") or "1s"),
                }
            },
        },
    }
    scaled = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": f"{name}-requests"},
        "spec": {
            "scaleTargetRef": _target(name),
            "pollingInterval": 15,
            "minReplicaCount": low,
            "maxReplicaCount": high,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": keda["behavior"]}},
            "triggers": [
                {
                    "type": "external-push",
                    "metadata": {"scalerAddress": ADDON_SCALER, "httpScaledObject": name},
                }
            ],
        },
    }
    return [http, scaled]


def _documents(docs: list[dict[str, Any]]) -> str:
    return "".join("---\n" + yaml.safe_dump(d, sort_keys=False) for d in docs)


def hpa_yaml(view: ProfileView) -> str:
    """The HPA as a YAML document with a comment line, or "" without a plan."""
    plan = view.figures.autoscaling
    if plan is None or not plan.hpa:
        return ""
    p = plan.predicted
    what = (
        f"# planned for a trace ({plan.objective}): {p.replica_hours} replica-hours "
        f"against {p.static_replica_hours} static, {p.attainment:.2%} of requests within"
        if p is not None and p.attainment is not None
        else "# planned for a trace"
    )
    return what + "\n" + _documents([hpa_resource(view)])


def render_keda(view: ProfileView) -> str:
    """``--format keda``: the add-on's HTTPScaledObject and the ScaledObject."""
    plan = _plan(view)
    head = (
        f"# servesize profile {view.name!r}: KEDA HTTP add-on plan for {plan.objective}\n"
        "# the HTTPScaledObject routes and measures; the ScaledObject scales with the "
        "planned behavior\n"
    )
    return head + _documents(keda_resources(view))
