"""The sizing in every output: the Markdown and CSV table, the k8s replicas, limits and
threads, the HTML chart, and profile compare."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import yaml

from servesize.report import ProfileView, compare, render

from .conftest import make_view

SIZING: dict[str, Any] = {
    "latencyObjective": "p99<=150ms",
    "latencyObjectiveSource": "given",
    "requestedQueriesPerSecond": 40.0,
    "settings": {"qps": 40.0, "slo": "p99=150ms", "safety_margin": 0.15},
    "sloMet": True,
    "recommendedCpu": 0.6,
    "recommendedMemoryInGB": 0.2,
    "recommendedWorkers": 1,
    "recommendedThreads": 1,
    "recommendedReplicas": 2,
    "maxQueriesPerSecondWithinSlo": 47.5,
    "recommendationLatencyInMs": 96.0,
    "sizingNote": "the smallest allocation measured to meet p99<=150ms at 40/s",
    "sizing": [
        {"cpu": 1.0, "workers": 1, "threads": 1, "queriesPerSecond": 40.0,
         "latencyPercentile99InMs": 41.0, "objectiveLatencyInMs": 41.0, "sloMet": True,
         "utilizedCpu": 0.41, "throttledShare": 0.0, "peakMemoryInGB": 0.11,
         "source": "measured", "phase": "measurement"},
        {"cpu": 0.5, "workers": 1, "threads": 1, "queriesPerSecond": 40.0,
         "latencyPercentile99InMs": 230.0, "objectiveLatencyInMs": 230.0, "sloMet": False,
         "utilizedCpu": 0.41, "throttledShare": 0.31, "peakMemoryInGB": 0.11,
         "source": "measured", "phase": "sizing"},
        {"cpu": 0.6, "workers": 1, "threads": 1, "queriesPerSecond": 40.0,
         "latencyPercentile99InMs": 96.0, "objectiveLatencyInMs": 96.0, "sloMet": True,
         "source": "measured", "phase": "confirmation"},
        {"cpu": 0.5, "workers": 1, "threads": 1, "maxQueriesPerSecondWithinSlo": 38.0,
         "source": "predicted"},
        {"cpu": 0.6, "workers": 1, "threads": 1, "maxQueriesPerSecondWithinSlo": 47.5,
         "source": "predicted"},
    ],
}  # fmt: skip


def _sized(**more: Any) -> ProfileView:
    view = make_view("valid")
    return dataclasses.replace(view, details={**view.details, **SIZING, **more})


def test_k8s_has_replicas_limits_and_threads() -> None:
    doc = yaml.safe_load(render(_sized(), "k8s"))
    assert doc["replicas"] == 2
    assert doc["resources"]["requests"]["cpu"] == "600m"
    assert doc["resources"]["limits"]["cpu"] == "600m"  # what the confirmation ran under
    env = {item["name"]: item["value"] for item in doc["env"]}
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    assert env["WORKER_COUNT"] == "1"


def test_csv_sizing_has_one_row_per_allocation() -> None:
    rows = list(csv.DictReader(io.StringIO(render(_sized(), "csv-sizing"))))
    assert len(rows) == len(SIZING["sizing"])
    assert [r["source"] for r in rows].count("predicted") == 2
    assert rows[1]["throttledShare"] == "0.31"


def test_markdown_and_html_show_the_answer_and_the_table() -> None:
    md = render(_sized(), "md")
    assert "## Sizing for the objective" in md
    assert "p99<=150ms" in md
    assert "## Allocations tried and predicted" in md
    html = render(_sized(), "html")
    assert "Rate within the objective against cores" in html
    assert "chosen: 0.6 cores" in html


def test_an_unsized_profile_has_no_sizing_section() -> None:
    assert "Sizing for the objective" not in render(make_view("valid"), "md")


def test_compare_gates_on_replicas_and_a_lost_objective() -> None:
    base = _sized()
    worse = dataclasses.replace(
        _sized(recommendedReplicas=3, sloMet=False, maxQueriesPerSecondWithinSlo=30.0), name="b"
    )
    result = compare(base, worse)
    assert result.regressed
    worse_rows = {r.metric for r in result.rows if r.worse}
    assert {"recommendedReplicas", "maxQueriesPerSecondWithinSlo"} <= worse_rows
    assert any("no longer meets p99<=150ms" in n for n in result.notes)
    assert not compare(base, dataclasses.replace(_sized(), name="same")).regressed
