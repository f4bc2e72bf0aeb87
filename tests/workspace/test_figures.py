"""The typed figures: camelCase keys at the edge, nothing lost on a round trip."""

from __future__ import annotations

import dataclasses
from typing import Any

from servesize.workspace import Confirmation, ErrorInfo, Figures, Machine, MeasuredRun, Warmup

# get_details() of a Succeeded profile (docs/azure-contract.md, section 4), less the
# keys the record itself supplies (name, description, state, createdTime)
AZURE_FIGURES = {
    "requestedCpu", "requestedMemoryInGB", "requestedQueriesPerSecond",
    "maxUtilizedMemoryInGB", "maxUtilizedCpu", "totalQueries", "successQueries",
    "successRate", "averageLatencyInMs", "latencyPercentile50InMs",
    "latencyPercentile90InMs", "latencyPercentile95InMs", "latencyPercentile99InMs",
    "latencyPercentile999InMs", "measuredQueriesPerSecond", "error",
    "recommendedMemoryInGB", "recommendedCpu", "recommendationLatencyInMs",
}  # fmt: skip


def _keys(cls: Any) -> list[str]:
    return [f.metadata["key"] for f in dataclasses.fields(cls) if "key" in f.metadata]


def test_every_azure_key_is_a_figure_and_no_key_is_defined_twice() -> None:
    assert set(_keys(Figures)) >= AZURE_FIGURES
    for group in (Figures, Confirmation, Warmup, Machine, ErrorInfo):
        assert len(set(_keys(group))) == len(_keys(group)), group.__name__


def test_round_trip_keeps_every_key_and_value() -> None:
    details: dict[str, Any] = {
        "recommendedCpu": 0.5,
        "recommendedMemoryInGB": 0.75,
        "latencyPercentile99InMs": 41.3,
        "errorsByStatus": {"500": 2},
        "validityReasons": [],
        "oomKilled": False,
        "confirmation": {"requestedCpu": 0.5, "held": True},
        "warmup": {"totalQueries": 120, "successRate": 1.0},
        "machine": {"cpuCount": 2, "cgroupVersion": None},
        "settings": {"safety_margin": 0.15},
        "error": {"message": "init() raised", "type": "InitError"},
        "aFigureOfALaterVersion": {"kept": True},
    }
    figures = Figures.from_details(details)
    assert figures.recommended_cpu == 0.5
    assert figures.confirmation == Confirmation(requested_cpu=0.5, held=True)
    assert figures.error == ErrorInfo("init() raised", "InitError")
    assert figures.extra == {"aFigureOfALaterVersion": {"kept": True}}
    out = figures.to_details()
    machine = out.pop("machine")
    assert out == {k: v for k, v in details.items() if k != "machine"}
    # a machine's facts are always all written, None included
    assert machine["cpuCount"] == 2
    assert set(machine) == set(_keys(Machine))


def test_missing_figures_are_none_and_not_written() -> None:
    figures = Figures()
    assert figures.recommended_cpu is None
    assert figures.to_details() == {}
    figures.recommended_cpu = 1.5
    assert figures.to_details() == {"recommendedCpu": 1.5}


def test_lenient_reading_of_hand_written_details() -> None:
    figures = Figures.from_details({"error": "boom", "confirmation": "not a dict"})
    assert figures.error == ErrorInfo("boom")
    assert figures.confirmation is None


def test_load_metrics_are_copied_by_key() -> None:
    figures = Figures()
    figures.take_load_metrics({"totalQueries": 10, "latencyPercentile99InMs": 3.5, "x": 1})
    assert figures.total_queries == 10
    assert figures.latency_percentile99_in_ms == 3.5
    assert "x" not in figures.to_details()
    assert Figures.key("latency_percentile99_in_ms") == "latencyPercentile99InMs"


def test_a_measured_runs_figures_are_declared_once_for_the_profile_and_its_confirmation() -> None:
    shared = {f.name for f in dataclasses.fields(MeasuredRun)}
    assert {"throttled_share", "latency_percentile99_in_ms", "requested_cpu"} <= shared
    for cls in (Figures, Confirmation):  # no key twice: test above
        assert issubclass(cls, MeasuredRun)
    # a stored confirmation reads with the same keys as the measurement
    stored = {"throttledShare": 0.25, "latencyPercentile99InMs": 9.5, "held": True}
    confirmation = Confirmation.from_details(stored)
    assert confirmation.throttled_share == 0.25
    assert confirmation.to_details() == stored
    figures = Figures.from_details({**stored, "confirmation": stored})
    assert figures.latency_percentile99_in_ms == 9.5
    assert figures.confirmation == confirmation
