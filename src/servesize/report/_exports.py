"""Machine-readable outputs: JSON, CSV, Kubernetes resources, Azure deployment config."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from servesize.errors import ProfileError
from servesize.report._facts import slo_text
from servesize.report._view import ProfileView

#: Columns of ``--format csv`` (the measurement's 1 s windows), in this order, always.
WINDOW_COLUMNS = (
    "t",
    "phase",
    "queries",
    "successQueries",
    "errors",
    "measuredQueriesPerSecond",
    "latencyPercentile50InMs",
    "latencyPercentile99InMs",
)
#: Columns of ``--format csv-samples`` (the sampler's 100 ms samples).
SAMPLE_COLUMNS = ("t", "phase", "cpu", "memoryInGB", "oomKills")

MIB_PER_GB = 1024  # memory is in GB meaning GiB (docs/profiling.md)

#: the thread pools the sizing matched to the cores (profiling's THREAD_VARIABLES;
#: report/ may not import profiling/)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _plain(value: Any) -> Any:
    """JSON-safe: NaN/inf become null (json.loads of strict JSON must round-trip)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # datetimes, paths: their text form


def render_json(view: ProfileView) -> str:
    """``serialize()`` (or the details when no record was stored) plus every series."""
    doc = dict(view.record or view.details)
    doc.setdefault("name", view.name)
    doc.setdefault("state", view.state)
    doc.setdefault("details", view.details)
    doc["series"] = {kind: rows for kind, rows in sorted(view.series.items())}
    return json.dumps(_plain(doc), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _plain(row.get(c)) for c in columns})
    return buffer.getvalue()


def render_csv(view: ProfileView) -> str:
    return _csv(view.rows("windows"), WINDOW_COLUMNS)


def render_csv_samples(view: ProfileView) -> str:
    return _csv(view.rows("samples"), SAMPLE_COLUMNS)


def render_csv_sizing(view: ProfileView) -> str:
    """The sizing table: one row per allocation measured or predicted."""
    from servesize.report._sizing import SIZING_COLUMNS, rows

    return _csv(rows(view), SIZING_COLUMNS)


def recommendation_or_fail(view: ProfileView) -> tuple[float, float]:
    """The recommended CPU and memory; ``ProfileError`` when there is none to export."""
    cpu, memory = view.figures.recommended_cpu, view.figures.recommended_memory_in_gb
    if cpu is None or memory is None:
        why = f": {view.error_message}" if view.error_message else ""
        raise ProfileError(
            f"profile {view.name!r} has no recommendation to export ({view.state}{why})"
        )
    return float(cpu), float(memory)


def _up(value: float) -> int:
    # round() first so 0.3 * 1000 == 300.00000000000006 does not become 301
    return max(1, math.ceil(round(value, 6)))


def k8s_quantities(view: ProfileView) -> dict[str, str]:
    """``cpu`` request in millicores, memory request and limit in Mi."""
    cpu, memory = recommendation_or_fail(view)
    return {
        "cpu": f"{_up(cpu * 1000)}m",
        "memory": f"{_up(memory * MIB_PER_GB)}Mi",
        "memoryLimit": f"{_up(memory * MIB_PER_GB * (1 + view.safety_margin))}Mi",
    }


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())  # one line: user text cannot escape the comment


def render_k8s(view: ProfileView) -> str:
    """A container ``resources:`` block; YAML written by hand (no PyYAML at runtime)."""
    q = k8s_quantities(view)
    margin = round(view.safety_margin * 100, 2)
    lines = [
        _comment(
            f"servesize profile {json.dumps(view.name)}: {view.state}, "
            f"{view.validity or 'no verdict'}"
        ),
    ]
    lines += [_comment(f"INVALID because: {reason}") for reason in view.validity_reasons]
    f = view.figures
    sized = bool(f.latency_objective)
    if not sized:
        lines += [
            "# requests = the recommendation; memory limit = recommendation + "
            f"{margin:g}% safety margin.",
            "# No CPU limit on purpose: a CPU limit throttles bursts (latency) without",
            "# protecting neighbours any better than the request does.",
        ]
    else:
        lines += [
            _comment(
                f"sized for {f.latency_objective} at {f.requested_queries_per_second} q/s: "
                f"{slo_text(f)} in a confirmation run under exactly these limits (CPU limit "
                "= request, as measured)."
            ),
            f"replicas: {f.recommended_replicas or 1}",
        ]
    lines += ["resources:", "  requests:", f'    cpu: "{q["cpu"]}"', f'    memory: "{q["memory"]}"']
    lines += ["  limits:"] + ([f'    cpu: "{q["cpu"]}"'] if sized else [])
    lines.append(f'    memory: "{q["memoryLimit"]}"')
    if sized and f.recommended_threads is not None:
        # the service was measured with these; the image's defaults may differ
        lines.append("env:")
        for name in THREAD_VARIABLES:
            lines += [f"  - name: {name}", f'    value: "{f.recommended_threads}"']
        if f.recommended_workers is not None:
            lines += ["  - name: WORKER_COUNT", f'    value: "{f.recommended_workers}"']
    from servesize.report._plan_exports import hpa_yaml  # the plan's HPA, when planned

    return "\n".join(lines) + "\n" + hpa_yaml(view)


def render_azure(view: ProfileView) -> str:
    """The deployment configuration file of ``az ml model deploy --dc`` (ACI): Azure ML
    v1's, a retired service (``--format azure-v1``; v2 is ``--format azureml``)."""
    cpu, memory = recommendation_or_fail(view)
    doc = {
        "computeType": "aci",
        "containerResourceRequirements": {"cpu": cpu, "memoryInGB": memory},
    }
    return json.dumps(doc, indent=2) + "\n"
