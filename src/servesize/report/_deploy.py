"""Where to run it: the chosen SKU and count, the SKUs considered, the cost and its
arithmetic (``details['deployment']`` and ``details['cost']``, see servesize.deploy)."""

from __future__ import annotations

import dataclasses
from typing import Any

from servesize.deploy import DeployOptions, azureml_yaml, has_plan, plan_deployment
from servesize.report._exports import recommendation_or_fail
from servesize.report._facts import DASH, FactTable, fmt, yes_no
from servesize.report._view import ProfileView

__all__ = ["deployment_of", "deployment_tables", "render_azureml", "with_deployment"]


def deployment_of(view: ProfileView) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The stored deployment and cost.  Computed now from the figures for a profile
    stored before servesize chose one (the bundled SKU table, no prices), and again,
    with the options it was chosen with, when a traffic plan was added since."""
    f = view.figures
    if f.deployment is None:
        return plan_deployment(view.details)
    if "autoscale" not in f.deployment and has_plan(view.details):
        return plan_deployment(view.details, DeployOptions.stored(f.deployment, f.cost))
    return f.deployment, f.cost


def with_deployment(view: ProfileView, options: DeployOptions) -> ProfileView:
    """``view`` with its deployment and cost recomputed for ``options`` (a SKU file,
    prices, a SKU to use); nothing is measured and the store is not changed."""
    deployment, cost = plan_deployment(view.details, options)
    details = {k: v for k, v in view.details.items() if k not in ("deployment", "cost")}
    if deployment is not None:
        details["deployment"] = deployment
    if cost is not None:
        details["cost"] = cost
    return dataclasses.replace(view, details=details)


def render_azureml(view: ProfileView) -> str:
    """The Azure ML v2 managed online deployment YAML (``--format azureml``)."""
    recommendation_or_fail(view)
    deployment, cost = deployment_of(view)
    request = view.record.get("request") if isinstance(view.record.get("request"), dict) else {}
    return azureml_yaml(view.name, view.state, view.details, request or {}, deployment, cost)


def _money(value: Any) -> str:
    return DASH if value is None else fmt(value, digits=4)


def deployment_tables(view: ProfileView) -> list[FactTable]:
    """The chosen deployment, the cost with its arithmetic, and every SKU considered
    (empty when the profile has no recommendation)."""
    deployment, cost = deployment_of(view)
    if not deployment:
        return []
    d = deployment
    per = d.get("perWorker") or {}
    measured = d.get("workersMeasured")
    rows = [
        ("Instance type", str(d.get("instanceType") or "none carries the target")),
        ("Instances", fmt(d.get("instanceCount"), digits=0)),
        ("Workers an instance (WORKER_COUNT)", fmt(d.get("workersPerInstance"), digits=0)),
        (
            "Workers together on one instance",
            "measured"
            if measured
            else "NOT measured (extrapolated per worker)"
            if measured is False
            else DASH,
        ),
        ("Requests/s an instance", fmt(d.get("queriesPerSecondPerInstance"), "q/s")),
        ("Target", fmt(d.get("targetQueriesPerSecond"), "q/s")),
        (
            "One worker",
            f"{fmt(per.get('cpu'), 'cores')}, {fmt(per.get('memoryInGB'), 'GiB')}, "
            f"{fmt(per.get('queriesPerSecond'), 'q/s')}",
        ),
        ("Quota needed", fmt(d.get("quotaCores"), "cores", 0)),
        ("Chosen by", str(d.get("chosenBy") or DASH)),
        ("SKUs from", str(d.get("skus") or DASH)),
        ("Left for the system", str(d.get("systemReserve") or DASH)),
    ]
    scale = d.get("autoscale")
    if isinstance(scale, dict):
        rows.append(
            (
                "Autoscale (Azure Monitor)",
                f"{scale.get('minInstances')}..{scale.get('maxInstances')} instances "
                f"(default {scale.get('defaultInstances')}); out above "
                f"{scale.get('scaleOutAboveCpuPercent')}% CPU, in below "
                f"{scale.get('scaleInBelowCpuPercent')}%",
            )
        )
    rows += [("Note", str(n)) for n in d.get("notes") or []]
    tables = [FactTable("Deployment (Azure ML v2)", ("", "value"), rows)]
    if cost:
        lines = [("Per hour", _money(cost.get("perHour")))]
        lines.append(("Per million requests", _money(cost.get("perMillionRequests"))))
        if cost.get("perDay") is not None:
            lines.append(("Per day (traffic plan)", _money(cost.get("perDay"))))
        prices = ", ".join(f"{k}={v:g}" for k, v in (cost.get("prices") or {}).items())
        lines.append(("Prices given", prices or DASH))
        lines += [("Arithmetic", str(a)) for a in cost.get("arithmetic") or []]
        tables.append(FactTable("Cost (in the currency of the prices given)", ("", "value"), lines))
    tables.append(_candidates(d.get("candidates") or []))
    return tables


def _candidates(rows: list[dict[str, Any]]) -> FactTable:
    priced = any(r.get("costPerHour") is not None for r in rows)
    out = []
    for r in rows:
        cells: tuple[str, ...] = (
            str(r.get("instanceType")),
            f"{fmt(r.get('vcpus'), digits=0)} / {fmt(r.get('memoryInGB'))}",
            str(r.get("acuPerVcpu") or DASH),
            fmt(r.get("vcpusPerCore"), digits=0),
            fmt(r.get("workersPerInstance"), digits=0),
            fmt(r.get("instanceCount"), digits=0),
            fmt(r.get("quotaCores"), digits=0),
            yes_no(r.get("meetsObjective")),
            yes_no(r.get("workersMeasured")),
        )
        if priced:
            cells += (_money(r.get("costPerHour")), _money(r.get("costPerMillionRequests")))
        out.append(cells)
    headers: tuple[str, ...] = (
        "SKU",
        "vCPUs / GiB",
        "ACU per vCPU (guideline)",
        "vCPUs a core",
        "workers",
        "instances",
        "quota cores",
        "meets",
        "measured",
    )
    if priced:
        headers += ("per hour", "per million")
    return FactTable("SKUs considered (best first)", headers, out)
