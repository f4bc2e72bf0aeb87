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


DECIDED: dict[str, Any] = {
    "sloDecision": "met",
    "sloConfidence": 0.95,
    "settings": {**SIZING["settings"], "confidence": 0.95, "indifference": 2.0},
    "confirmation": {
        "decision": {"decision": "met", "n": 412, "overLimit": 1, "dispersion": 1.0,
                     "logLikelihoodRatio": -3.1, "confidence": 0.95},
    },
    "sizing": [
        {**SIZING["sizing"][1], "decision": "missed", "n": 300, "overLimit": 31,
         "dispersion": 2.5, "confidence": 0.95, "outcome": "missed"},
        {**SIZING["sizing"][2], "decision": "met", "n": 412, "overLimit": 1,
         "dispersion": 1.0, "confidence": 0.95, "outcome": "met"},
    ],
}  # fmt: skip


def test_every_output_says_how_sure_the_objective_is() -> None:
    view = _sized(**DECIDED)
    md = render(view, "md")
    stated = "met at 95% confidence (1 of 412 requests over the limit)"
    assert stated in md
    assert "95% confidence, sequential test" in md
    # each trial's row: its decision, the requests over the limit, of how many judged
    assert "missed: 31 of 300 (x2.5)" in md
    assert "met: 1 of 412" in md
    assert stated in render(view, "k8s")
    rows = list(csv.DictReader(io.StringIO(render(view, "csv-sizing"))))
    assert [(r["decision"], r["n"], r["overLimit"]) for r in rows] == [
        ("missed", "300", "31"),
        ("met", "412", "1"),
    ]


def test_an_undecided_confirmation_is_never_called_met() -> None:
    undecided = {
        **DECIDED,
        "sloMet": None,
        "sloDecision": "undecided",
        "confirmation": {"decision": {"decision": "undecided", "n": 150, "overLimit": 2,
                                      "dispersion": 1.0, "confidence": 0.95}},
    }  # fmt: skip
    md = render(_sized(**undecided), "md")
    assert "undecided (2 of 150 requests over the limit)" in md
    assert "met at 95%" not in md


def test_the_cpus_speed_is_in_the_table_the_csv_and_its_own_section() -> None:
    speed = {
        "machineSlowdown": 1.01,
        "machineSpeed": {"probeCpu": 1, "loops": 900, "fastestLoopMs": 0.19,
                         "medianLoopMs": 0.2, "slowestLoopMs": 1.1, "slowShare": 0.05},
        "sizing": [{**SIZING["sizing"][1], "machineSlowdown": 1.69},
                   {**SIZING["sizing"][2], "machineSlowdown": 1.04}],
    }  # fmt: skip
    view = _sized(**speed)
    md = render(view, "md")
    assert "## The CPU's speed" in md
    assert "1.69x its fastest (sizing, 0.50 cores)" in md  # the slowest run, named
    assert "1.01x its fastest" in md  # the measurement
    assert "x1.04" in md  # a row of the sizing table
    assert "not fitted (the measurement had no slow spell)" in md
    probe = {"probeCpu": 1, "loops": 900, "fastestLoopMs": 0.19, "sensitivity": 0.64}
    fitted = _sized(**{**speed, "machineSpeed": probe})
    assert "0.64 (fitted on the measurement's seconds)" in render(fitted, "md")
    rows = list(csv.DictReader(io.StringIO(render(view, "csv-sizing"))))
    assert [r["machineSlowdown"] for r in rows] == ["1.69", "1.04"]
    assert "Every run stands, its slowdown reported" in render(view, "html")  # the default
    opted = _sized(**speed, settings={**SIZING["settings"], "max_slowdown": 1.25})
    assert "more than 1.25x slower than the fastest is measured again once" in render(opted, "html")
    # a profile from before the probe: its card says so
    before = render(_sized(), "html")
    card = before[before.index("The CPU&#x27;s speed") :]
    assert "not measured" in card[: card.index("</section>")]
