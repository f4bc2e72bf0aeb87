"""Cost per hour, per million requests and per day of a traffic plan, reproducible from
the details by hand; a traffic plan's instance counts and Azure Monitor thresholds."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest

from servesize.deploy import DeployOptions, plan_deployment

from .conftest import PLAN, details


def near(expected: float) -> object:
    """Equal to the six significant digits the details keep."""
    return pytest.approx(expected, rel=1e-5)


def test_cost_per_million_requests_is_the_arithmetic_it_shows() -> None:
    options = DeployOptions.parse(prices=["core-hour=0.048", "gb-hour=0.0065"])
    deployment, cost = plan_deployment(details(), options)
    assert deployment is not None
    assert cost is not None
    chosen = deployment["candidates"][0]
    each = chosen["vcpus"] * 0.048 + chosen["memoryInGB"] * 0.0065
    assert cost["perInstanceHour"] == near(each)
    assert cost["perHour"] == near(deployment["instanceCount"] * each)
    assert cost["perMillionRequests"] == pytest.approx(
        rel=1e-5, expected=cost["perHour"] / (300 * 3600 / 1e6)
    )
    assert cost["prices"] == {"core-hour": 0.048, "gb-hour": 0.0065}
    text = " ".join(cost["arithmetic"])
    for figure in ("0.048", "0.0065", "300 x 3600 / 1,000,000", f"{cost['perMillionRequests']:g}"):
        assert figure in text
    # every candidate is priced, and the cheapest that meets the objective is chosen
    meeting = [c for c in deployment["candidates"] if c["meetsObjective"]]
    assert all("costPerHour" in c for c in deployment["candidates"] if c["instanceCount"])
    assert cost["perHour"] == pytest.approx(
        rel=1e-5, expected=min(c["costPerHour"] for c in meeting)
    )
    assert deployment["chosenBy"] == "the lowest cost per hour"


def test_a_price_column_wins_and_ranks(tmp_path: Path) -> None:
    skus = tmp_path / "pool.csv"
    skus.write_text(
        "# my node pools\ninstanceType,vcpus,memoryInGB,price\n"
        "small,2,8,1.00\n"  # 1 worker: 3 instances, 3.00 an hour
        "big,8,32,2.50\n"  # 7 workers: 1 instance, 2.50 an hour
    )
    deployment, cost = plan_deployment(details(), DeployOptions.parse(skus=skus))
    assert deployment is not None
    assert cost is not None
    assert deployment["instanceType"] == "big"  # fewer vCPUs lose to the lower price
    assert cost["perHour"] == 2.5
    assert cost["prices"] == {"priceColumn": 2.5}
    assert "the SKU file's price" in cost["arithmetic"][0]
    assert deployment["skus"] == str(skus)


def test_only_vcpus_priced_says_memory_is_not() -> None:
    _, cost = plan_deployment(details(), DeployOptions.parse(prices={"core-hour": 0.05}))
    assert cost is not None
    assert "(memory not priced)" in cost["arithmetic"][0]


def test_a_traffic_plan_sets_counts_autoscale_and_cost_per_day() -> None:
    options = DeployOptions.parse(prices=["core-hour=0.05"])
    deployment, cost = plan_deployment(details(**PLAN), options)
    assert deployment is not None
    assert cost is not None
    workers, vcpus = deployment["workersPerInstance"], deployment["candidates"][0]["vcpus"]
    # 9 replicas of one worker for the peak
    assert deployment["instanceCount"] == math.ceil(9 / workers)
    scale = deployment["autoscale"]
    assert scale["minInstances"] == math.ceil(2 / workers)
    assert scale["maxInstances"] == math.ceil(9 / workers)
    assert scale["minInstances"] <= scale["defaultInstances"] <= scale["maxInstances"]
    # the HPA's 70% of a worker's core, as a share of the instance's vCPUs
    assert scale["scaleOutAboveCpuPercent"] == round(70 * workers * 1.0 / vcpus)
    assert scale["scaleInBelowCpuPercent"] < scale["scaleOutAboveCpuPercent"]
    # the timeline's steps in whole instances: 2 replicas for 1800 s, then 9 (asked for:
    # they cost from their start) for the 1800 s left of the hour of traffic; 24 a day
    hours = (math.ceil(2 / workers) * 1800 + math.ceil(9 / workers) * 1800) / 3600
    assert cost["instanceHoursPerDay"] == near(hours * 24)
    assert cost["perDay"] == near(hours * 24 * cost["perInstanceHour"])
    assert "per day of the traffic plan" in cost["arithmetic"][-1]


def test_without_a_timeline_the_plans_replica_hours_are_packed_on_average() -> None:
    plan = copy.deepcopy(PLAN)
    del plan["autoscaling"]["timeline"]
    deployment, cost = plan_deployment(details(**plan), DeployOptions.parse(prices=["core-hour=1"]))
    assert deployment is not None
    assert cost is not None
    # 5 replica-hours of one worker over one hour of traffic, workers to an instance
    a_day = 5.0 * 1 / deployment["workersPerInstance"] * 24
    assert cost["instanceHoursPerDay"] == near(a_day)
    assert "a lower bound" in cost["arithmetic"][-1]


def test_a_plan_without_the_hpa_counts_is_ignored() -> None:
    broken = {"autoscaling": {"hpa": {"minReplicas": "two"}}, "traffic": {}}
    deployment, _ = plan_deployment(details(**broken))
    assert deployment is not None
    assert "autoscale" not in deployment
    assert deployment["instanceCount"] * deployment["queriesPerSecondPerInstance"] >= 300
