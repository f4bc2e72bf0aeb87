"""Choosing the SKU and instance count from stored figures (pure: nothing measured)."""

from __future__ import annotations

import math

import pytest

from servesize.deploy import (
    DeployOptions,
    Sku,
    bundled_skus,
    plan_deployment,
    reserved_cpu,
    reserved_memory_gb,
)
from servesize.errors import InvalidInputError

from .conftest import details


def test_the_chosen_sku_and_count_carry_the_target_within_the_objective() -> None:
    deployment, cost = plan_deployment(details())
    assert deployment is not None
    assert cost is None  # no prices, no cost, nothing guessed
    count, workers = deployment["instanceCount"], deployment["workersPerInstance"]
    per_worker = deployment["perWorker"]["queriesPerSecond"]
    # by the profile's own measurement: 100/s a worker within p99<=50ms
    assert per_worker == 100.0
    assert count * workers * per_worker >= 300.0
    assert deployment["queriesPerSecondPerInstance"] == workers * per_worker
    chosen = deployment["candidates"][0]
    assert chosen["instanceType"] == deployment["instanceType"]
    # ranked by total vCPUs: no SKU that meets the objective needs fewer
    meeting = [c for c in deployment["candidates"] if c["meetsObjective"]]
    least = min(c["instanceCount"] * c["vcpus"] for c in meeting)
    assert count * chosen["vcpus"] == least
    assert deployment["quotaCores"] == math.ceil(1.2 * count) * chosen["vcpus"]


def test_every_sku_holds_as_many_workers_as_fit_after_the_system_share() -> None:
    deployment, _ = plan_deployment(details(recommendedMemoryInGB=3.0))
    assert deployment is not None
    for row in deployment["candidates"]:
        cpu_left = row["vcpus"] - reserved_cpu(row["vcpus"])
        memory_left = row["memoryInGB"] - reserved_memory_gb(row["memoryInGB"])
        n = row["workersPerInstance"]
        assert n * 1.0 <= cpu_left
        assert n * 3.0 <= memory_left
        assert (n + 1) * 1.0 > cpu_left or (n + 1) * 3.0 > memory_left, row
        if n == 0:
            assert not row["meetsObjective"]
            assert row["note"].startswith("too small")


def test_a_memory_hungry_worker_rules_out_small_memory_skus() -> None:
    deployment, _ = plan_deployment(details(recommendedMemoryInGB=6.0))
    assert deployment is not None
    rows = {r["instanceType"]: r for r in deployment["candidates"]}
    assert rows["Standard_F4s_v2"]["workersPerInstance"] == 0  # 8 GiB leaves too little
    assert "short of memory" in rows["Standard_F4s_v2"]["note"]
    assert rows["Standard_E4s_v3"]["workersPerInstance"] == 3  # 32 GiB: cores bind first
    assert deployment["instanceType"] not in {"Standard_F4s_v2", "Standard_F2s_v2"}


def test_the_reservations_follow_aks_documented_figures() -> None:
    assert reserved_cpu(1) == 0.06
    assert reserved_cpu(4) == 0.14
    assert reserved_cpu(72) == 0.74
    # 8 GiB: 750 MiB + 25% of 4 + 20% of 4
    assert reserved_memory_gb(8) == pytest.approx(750 / 1024 + 1.0 + 0.8)


def test_workers_beyond_those_measured_are_said_to_be_extrapolated() -> None:
    deployment, _ = plan_deployment(details())
    assert deployment is not None
    assert deployment["measuredWorkers"] == 2  # 2 workers met it at 105/s each
    assert deployment["machineWorkers"] == 2
    for row in deployment["candidates"]:
        if row["meetsObjective"]:
            assert row["workersMeasured"] is (row["workersPerInstance"] <= 2)
            if not row["workersMeasured"]:
                assert row["note"].startswith("NOT measured")
    assert deployment["workersMeasured"] is False  # 3 workers on the chosen SKU
    notes = " ".join(deployment["notes"])
    assert "NOT measured: 3 workers x 100/s each is extrapolated" in notes
    assert "--workers 2 --cc 2" in notes
    assert "AMD EPYC 7763" in notes  # the cores were measured on this CPU
    assert "ACU" in notes


def test_a_trial_that_missed_or_was_predicted_is_no_evidence() -> None:
    rows = [
        {"cpu": 1.0, "workers": 1, "queriesPerSecond": 100.0, "sloMet": True},
        {"cpu": 3.0, "workers": 3, "queriesPerSecond": 300.0, "sloMet": False},
        {"cpu": 4.0, "workers": 4, "maxQueriesPerSecondWithinSlo": 400.0, "source": "predicted"},
        {"cpu": 2.0, "workers": 2, "queriesPerSecond": 150.0, "sloMet": True},  # 75/s each
    ]
    deployment, _ = plan_deployment(details(sizing=rows))
    assert deployment is not None
    assert deployment["measuredWorkers"] == 1


def test_a_forced_sku_gets_its_own_count() -> None:
    options = DeployOptions.parse(instance_type="standard_ds2_v2")
    deployment, _ = plan_deployment(details(), options)
    assert deployment is not None
    assert deployment["instanceType"] == "Standard_DS2_v2"
    assert deployment["workersPerInstance"] == 1
    assert deployment["instanceCount"] == 3


def test_an_unknown_sku_is_one_line() -> None:
    with pytest.raises(InvalidInputError, match=r"unknown SKU 'Standard_Z9'") as caught:
        DeployOptions.parse(instance_type="Standard_Z9")
    assert "\n" not in str(caught.value)


def test_without_an_objective_met_no_sku_is_chosen() -> None:
    deployment, cost = plan_deployment(
        details(sloMet=False, maxQueriesPerSecondWithinSlo=None),
        DeployOptions.parse(prices={"core-hour": 1}),
    )
    assert deployment is not None
    assert deployment["instanceType"] is None
    assert not any(c["meetsObjective"] for c in deployment["candidates"])
    assert deployment["notes"][-1] == (
        "No SKU carries the target: no allocation measured met p99<=50ms."
    )
    assert cost is None


def test_a_worker_no_sku_holds_is_said() -> None:
    deployment, _ = plan_deployment(details(recommendedMemoryInGB=1000.0))
    assert deployment is not None
    assert deployment["instanceType"] is None
    assert deployment["notes"][-1].startswith("No SKU carries the target: too small")


def test_no_recommendation_no_deployment() -> None:
    assert plan_deployment({"error": {"message": "init() raised"}}) == (None, None)


def test_a_node_pool_file_replaces_the_table() -> None:
    pool = [Sku("pool-a", 8, 32), Sku("pool-b", 2, 8)]
    deployment, _ = plan_deployment(details(), DeployOptions.parse(skus=pool))
    assert deployment is not None
    assert {c["instanceType"] for c in deployment["candidates"]} == {"pool-a", "pool-b"}
    # pool-a: 7 workers, 1 instance = 8 vCPUs; pool-b: 1 worker, 3 instances = 6 vCPUs
    assert deployment["instanceType"] == "pool-b"
    assert deployment["instanceCount"] == 3


def test_the_bundled_table_is_the_documented_one() -> None:
    skus = {s.instance_type: s for s in bundled_skus()}
    assert len(skus) == 36
    assert (skus["Standard_DS3_v2"].vcpus, skus["Standard_DS3_v2"].memory_in_gb) == (4, 14)
    assert (skus["Standard_E64s_v3"].vcpus, skus["Standard_E64s_v3"].memory_in_gb) == (64, 432)
    assert skus["Standard_F72s_v2"].memory_in_gb == 144
    assert skus["Standard_D96as_v4"].memory_in_gb == 384
    for sku in skus.values():
        assert sku.vcpus_per_core == (1 if sku.family == "DSv2" else 2)
        assert sku.acu_per_vcpu
        assert sku.price is None  # prices change: none shipped


def test_an_undecided_objective_still_deploys_and_says_so() -> None:
    deployment, _ = plan_deployment(details(sloMet=None))
    assert deployment is not None
    assert deployment["instanceType"] is not None
    assert "left the objective undecided" in deployment["notes"][1]
