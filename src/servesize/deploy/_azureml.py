"""The Azure ML v2 managed online deployment YAML of a profile (``--format azureml``).

What ``az ml online-deployment create -f FILE`` takes (reference-yaml-deployment-
managed-online): the SKU and count chosen for the target, WORKER_COUNT and the thread
variables the sizing measured, ``max_concurrent_requests_per_instance`` = WORKER_COUNT
(Azure's advice: what one instance processes at once), the request timeout from the
measured tail and the probes' initial delay from the measured start, each with its
margin stated in the header, and the model, environment and scoring script of the
profile's inference config.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

from servesize.deploy._cost import g
from servesize.errors import ProfileError
from servesize.workspace import Figures

__all__ = ["SCHEMA", "azureml_yaml", "request_timeout_ms", "start_delay_seconds"]

SCHEMA = "https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json"
#: Azure's bounds: request_timeout_ms at most 180 s; probes' initial_delay at least 1 s
MAX_TIMEOUT_MS = 180_000
#: the margins: the network and Azure's front end add time the profile did not see,
#: and an Azure vCPU may be slower than the one measured
TIMEOUT_MARGIN, MIN_TIMEOUT_MS = 3.0, 1_000
START_MARGIN = 2.0
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _tail(figures: Figures) -> tuple[float | None, str]:
    """The tail of the allocation deployed: its confirmation run (the recommended
    limits at the rate a replica carries) when there was one, else the measurement's
    slowest request (which may have run overloaded, at the whole target on the bound)."""
    confirmed = figures.confirmation
    if confirmed is not None and confirmed.held is not False:
        for value, what in (
            (confirmed.latency_percentile999_in_ms, "p99.9 of the confirmation run"),
            (confirmed.latency_percentile99_in_ms, "p99 of the confirmation run"),
        ):
            if value is not None:
                return value, what
    for value, what in (
        (figures.max_latency_in_ms, "the slowest request measured"),
        (figures.latency_percentile999_in_ms, "the measured p99.9"),
    ):
        if value is not None:
            return value, what
    return None, ""


def request_timeout_ms(figures: Figures) -> tuple[int | None, str]:
    """3 x the measured tail of the deployed allocation, rounded up to 100 ms, within
    1 s .. 180 s."""
    tail, what = _tail(figures)
    if tail is None:
        return None, "no latency measured: Azure's default (5000 ms)"
    raw = math.ceil(TIMEOUT_MARGIN * tail / 100) * 100
    value = min(MAX_TIMEOUT_MS, max(MIN_TIMEOUT_MS, raw))
    return value, (
        f"request_timeout_ms {value} = {TIMEOUT_MARGIN:g} x {what} ({g(tail)} ms), rounded "
        f"up to 100 ms, within {MIN_TIMEOUT_MS} .. {MAX_TIMEOUT_MS} (Azure's maximum)"
    )


def start_delay_seconds(figures: Figures) -> tuple[int | None, str]:
    """2 x the slowest start measured (cold start, or the environment's first start)."""
    starts = [figures.cold_start_seconds]
    if figures.environment is not None:
        starts.append(figures.environment.first_start_seconds)
    measured = [s for s in starts if s is not None]
    if not measured:
        return None, "no start measured: Azure's default initial_delay (10 s)"
    slowest = max(measured)
    value = max(1, math.ceil(START_MARGIN * slowest))
    return value, (
        f"probes' initial_delay {value} s = {START_MARGIN:g} x the slowest start measured "
        f"({g(slowest)} s), at least 1"
    )


def _name(text: str, fallback: str) -> str:
    """Azure's rule: a letter first, 3-32 letters, digits and single dashes."""
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", text.lower()))
    name = name.lstrip("-0123456789")[:32].strip("-")
    return name if len(name) >= 3 else fallback


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())  # one line: user text cannot leave the comment


def _asset(kind: str, ref: str) -> str:
    name, _, version = ref.partition(":")
    return f"azureml:{name}:{version or '1'}" if name else f"azureml:REPLACE-WITH-{kind}:1"


def _body(
    name: str, figures: Figures, request: Mapping[str, Any], deployment: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    notes: list[str] = []
    models = [str(m) for m in request.get("modelIds") or []]
    env = request.get("environment") if isinstance(request.get("environment"), Mapping) else {}
    env = env or {}
    env_ref = f"{env['name']}:{env.get('version') or 1}" if env.get("name") else ""
    body: dict[str, Any] = {
        "$schema": SCHEMA,
        "name": _name(name, "blue"),
        "endpoint_name": _name(models[0].split(":")[0] if models else name, "my-endpoint"),
    }
    if models:
        body["model"] = _asset("MODEL", models[0])
    if len(models) > 1:
        notes.append(
            f"the profile served {len(models)} models ({', '.join(models)}); a v2 deployment "
            "takes one: register them as one model folder"
        )
    entry = request.get("entryScript")
    if entry:
        source = str(request.get("sourceDirectory") or "")
        script = str(entry)
        if not source:
            source, _, script = script.rpartition("/")
            source = source or "."
        elif script.startswith(source.rstrip("/") + "/"):
            script = script[len(source.rstrip("/")) + 1 :]
        body["code_configuration"] = {"code": source, "scoring_script": script}
    else:
        notes.append(
            "the profile ran a server command, not an entry script: describe its container "
            "in the environment (image, inference_config) yourself"
        )
    body["environment"] = _asset("ENVIRONMENT", env_ref)
    if not env_ref:
        notes.append("no registered environment: replace the environment reference")
    variables = {str(k): str(v) for k, v in (env.get("environmentVariables") or {}).items()}
    workers = deployment["workersPerInstance"]
    variables["WORKER_COUNT"] = str(workers)
    threads = deployment.get("threadsPerWorker")
    if threads is not None:
        variables.update({v: str(threads) for v in THREAD_VARIABLES})
    body["instance_type"] = deployment["instanceType"]
    body["instance_count"] = deployment["instanceCount"]
    body["environment_variables"] = variables
    settings: dict[str, Any] = {"max_concurrent_requests_per_instance": workers}
    timeout, why = request_timeout_ms(figures)
    notes.append(why)
    if timeout is not None:
        settings["request_timeout_ms"] = timeout
    body["request_settings"] = settings
    delay, why = start_delay_seconds(figures)
    notes.append(why)
    if delay is not None:
        body["liveness_probe"] = {"initial_delay": delay}
        body["readiness_probe"] = {"initial_delay": delay}
    return body, notes


def azureml_yaml(
    name: str,
    state: str,
    details: Mapping[str, Any],
    request: Mapping[str, Any],
    deployment: Mapping[str, Any] | None,
    cost: Mapping[str, Any] | None = None,
) -> str:
    """The deployment YAML (``ProfileError`` when nothing can be deployed)."""
    figures = Figures.from_details(details)
    if deployment is None:
        raise ProfileError(f"profile {name!r} has no recommendation to export ({state})")
    if not deployment.get("instanceType"):
        why = "; ".join(deployment.get("notes", [])[-1:])
        raise ProfileError(f"profile {name!r} has no deployment to export: {why}")
    body, notes = _body(name, figures, request, deployment)
    head = _header(name, state, figures, deployment, cost) + [_comment(n) for n in notes]
    text = yaml.safe_dump(body, sort_keys=False, default_flow_style=False)
    tail = _autoscale_block(body, deployment.get("autoscale"))
    return "\n".join(head) + "\n" + text + ("\n".join(tail) + "\n" if tail else "")


def _header(
    name: str,
    state: str,
    figures: Figures,
    deployment: Mapping[str, Any],
    cost: Mapping[str, Any] | None,
) -> list[str]:
    per = deployment.get("perWorker") or {}
    machine = deployment.get("measuredOn") or {}
    chosen: Mapping[str, Any] = next(
        (
            c
            for c in deployment.get("candidates", [])
            if c.get("instanceType") == deployment["instanceType"]
        ),
        {},
    )
    count, workers = deployment["instanceCount"], deployment["workersPerInstance"]
    rate = deployment.get("queriesPerSecondPerInstance") or 0
    lines = [
        _comment(
            f"Azure ML v2 managed online deployment from servesize profile {name!r}: {state}, "
            f"{figures.validity or 'no verdict'}"
        ),
    ]
    lines += [_comment(f"INVALID because: {r}") for r in figures.validity_reasons or []]
    lines.append(
        _comment(
            "create it (the endpoint, model and environment registered in Azure): "
            "az ml online-deployment create -f THIS_FILE --all-traffic"
        )
    )
    lines += [
        _comment(
            f"measured: one worker of {g(per.get('cpu') or 0)} cores and "
            f"{g(per.get('memoryInGB') or 0)} GiB carries {g(per.get('queriesPerSecond') or 0)} "
            f"requests/s within {deployment.get('latencyObjective') or 'the measured latency'} "
            f"on {machine.get('cpuModel') or 'an unrecorded CPU'} ({machine.get('cpus')} "
            "CPU(s) for the service here; an Azure vCPU may be slower or faster)"
        ),
        _comment(
            f"chosen ({deployment.get('chosenBy')}): {deployment['instanceType']} "
            f"({g(chosen.get('vcpus') or 0)} vCPUs, {g(chosen.get('memoryInGB') or 0)} GiB, "
            f"ACU/vCPU {chosen.get('acuPerVcpu') or 'unknown'}) x {count}, {workers} workers "
            f"each: {count} x {g(rate)} = {g(count * rate)} requests/s for a target of "
            f"{g(deployment.get('targetQueriesPerSecond') or 0)}"
        ),
        _comment(
            f"quota: ceil(1.2 x {count}) x {g(chosen.get('vcpus') or 0)} vCPUs = "
            f"{deployment.get('quotaCores')} cores (Azure keeps 20% extra for upgrades)"
        ),
    ]
    if deployment.get("workersMeasured") is False:
        lines.append(
            _comment(
                f"NOT measured: {workers} workers together on one instance (the profile "
                f"measured {deployment.get('measuredWorkers')}); the rate is extrapolated per "
                "worker"
            )
        )
    for line in (cost or {}).get("arithmetic", []):
        lines.append(_comment(f"cost, {line}"))
    return lines


def _autoscale_block(body: Mapping[str, Any], scale: Mapping[str, Any] | None) -> list[str]:
    """Azure Monitor autoscale from the traffic plan, as commented ``az`` commands."""
    if not scale:
        return []
    endpoint, deployment = body["endpoint_name"], body["name"]
    settings = f"autoscale-{endpoint}-{deployment}"
    return [
        "",
        "# Autoscale (Azure Monitor) from the profile's traffic plan: run once the deployment",
        "# exists. The thresholds are the plan's CPU target as a share of the instance's",
        "# vCPUs; steps and windows are Azure's documented example.",
        f"# DEPLOYMENT_ID=$(az ml online-deployment show -e {endpoint} -n {deployment} "
        '-o tsv --query "id")',
        f"# az monitor autoscale create --name {settings} --resource $DEPLOYMENT_ID "
        f"--min-count {scale['minInstances']} --max-count {scale['maxInstances']} "
        f"--count {scale['defaultInstances']}",
        f"# az monitor autoscale rule create --autoscale-name {settings} "
        f'--condition "CpuUtilizationPercentage > {scale["scaleOutAboveCpuPercent"]} avg '
        f'{scale["windowMinutes"]}m" --scale out {scale["scaleOutBy"]}',
        f"# az monitor autoscale rule create --autoscale-name {settings} "
        f'--condition "CpuUtilizationPercentage < {scale["scaleInBelowCpuPercent"]} avg '
        f'{scale["windowMinutes"]}m" --scale in {scale["scaleInBy"]}',
    ]
