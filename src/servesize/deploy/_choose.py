"""Fill each SKU with workers of the measured unit; count the instances; rank.

What an instance leaves for its system: Azure documents no figure for a managed online
endpoint's instance (its agents, proxy and logging share the VM with the model's
container), so servesize leaves what AKS documents it reserves on a node of the same
size (docs: azure/aks/node-resource-reservations): kube-reserved CPU by core count
(60 millicores for 1 core to 740 for 64), and memory as AKS before 1.29 computes it, the
larger of its two rules: 750 MiB for eviction plus 25% of the first 4 GiB, 20% of the
next 4, 10% of the next 8, 6% of the next 112 and 2% above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from servesize.deploy._skus import Sku
from servesize.deploy._unit import Unit

__all__ = [
    "MAX_INSTANCES",
    "SYSTEM_RESERVE",
    "Candidate",
    "fit",
    "quota_cores",
    "rank",
    "reserved_cpu",
    "reserved_memory_gb",
    "six",
]

#: Azure's default limit of instances per managed deployment (it allows an exception)
MAX_INSTANCES = 50
SYSTEM_RESERVE = (
    "left for the instance's system: AKS's documented node reservations (CPU 0.06-0.74 "
    "cores by size; memory 750 MiB + 25% of the first 4 GiB, 20% of the next 4, 10% of "
    "the next 8, 6% of the next 112, 2% above); Azure documents none for managed instances"
)
_KUBE_RESERVED_CPU = (
    (1, 0.06),
    (2, 0.10),
    (4, 0.14),
    (8, 0.18),
    (16, 0.26),
    (32, 0.42),
    (64, 0.74),
)
_MEMORY_STEPS = ((4.0, 0.25), (4.0, 0.20), (8.0, 0.10), (112.0, 0.06), (math.inf, 0.02))
_EVICTION_GB = 750 / 1024


def reserved_cpu(vcpus: float) -> float:
    """Cores left for the system on an instance of ``vcpus`` (AKS's table, stepwise)."""
    reserved = _KUBE_RESERVED_CPU[0][1]
    for cores, value in _KUBE_RESERVED_CPU:
        if vcpus >= cores:
            reserved = value
    return reserved


def reserved_memory_gb(memory_gb: float) -> float:
    """GiB left for the system on an instance of ``memory_gb``."""
    reserved, left = _EVICTION_GB, memory_gb
    for size, share in _MEMORY_STEPS:
        reserved += min(left, size) * share
        left -= min(left, size)
        if left <= 0:
            break
    return reserved


def quota_cores(instances: int, vcpus: float) -> int:
    """Azure reserves 20% more for upgrades: ceil(1.2 x instances) x vCPUs."""
    return math.ceil(round(1.2 * instances, 9)) * math.ceil(vcpus)


@dataclass(frozen=True)
class Candidate:
    """One SKU filled with workers of the unit, and the instances the target needs."""

    sku: Sku
    workers: int
    instances: int | None
    meets_objective: bool
    #: requests/s one instance carries within the objective (workers x per worker)
    queries_per_second: float | None
    #: True: the profile measured this many workers (or more) within the objective
    measured: bool
    note: str
    #: one instance-hour in the user's currency (None: not priced)
    price_per_hour: float | None = None

    @property
    def total_vcpus(self) -> float | None:
        return None if self.instances is None else self.instances * self.sku.vcpus

    @property
    def cost_per_hour(self) -> float | None:
        if self.instances is None or self.price_per_hour is None:
            return None
        return self.instances * self.price_per_hour

    def to_details(self, target: float | None) -> dict[str, Any]:
        row: dict[str, Any] = {
            "instanceType": self.sku.instance_type,
            "vcpus": self.sku.vcpus,
            "memoryInGB": self.sku.memory_in_gb,
            "vcpusPerCore": self.sku.vcpus_per_core,
            "acuPerVcpu": self.sku.acu_per_vcpu,
            "family": self.sku.family,
            "workersPerInstance": self.workers,
            "instanceCount": self.instances,
            "queriesPerSecondPerInstance": six(self.queries_per_second),
            "meetsObjective": self.meets_objective,
            "workersMeasured": self.measured,
            "note": self.note,
        }
        if self.instances is not None:
            row["quotaCores"] = quota_cores(self.instances, self.sku.vcpus)
        if self.price_per_hour is not None:
            row["pricePerInstanceHour"] = six(self.price_per_hour)
            cost = self.cost_per_hour
            row["costPerHour"] = six(cost)
            if cost is not None and target:
                row["costPerMillionRequests"] = six(cost / (target * 3600) * 1e6)
        return row


def six(value: float | None) -> float | None:
    """Six significant digits: what the reports show and the arithmetic uses."""
    return None if value is None else float(f"{value:.6g}")


def fit(sku: Sku, unit: Unit, target: float | None, replicas: float | None = None) -> Candidate:
    """``sku`` filled with as many workers of ``unit`` as its vCPUs and memory hold after
    the system's share, and the instances that carry ``target`` requests/s (or, with a
    traffic plan, its ``replicas`` of the measured replica)."""
    cpu_left = sku.vcpus - reserved_cpu(sku.vcpus)
    memory_left = sku.memory_in_gb - reserved_memory_gb(sku.memory_in_gb)
    workers = max(0, math.floor(min(cpu_left / unit.cpu, memory_left / unit.memory_in_gb) + 1e-9))
    if workers == 0:
        why = "cores" if cpu_left < unit.cpu else "memory"
        note = (
            f"too small: one worker needs {unit.cpu:g} cores and {unit.memory_in_gb:.3g} GiB; "
            f"{max(cpu_left, 0):.3g} cores and {max(memory_left, 0):.3g} GiB are left after "
            f"the system's share (short of {why})"
        )
        return Candidate(sku, 0, None, False, None, False, note)
    if unit.queries_per_second is None:
        return Candidate(sku, workers, None, False, None, False, "the objective was never met")
    rate = workers * unit.queries_per_second
    if replicas is not None:
        instances = max(1, math.ceil(round(replicas * unit.replica_workers / workers, 9)))
    else:
        instances = max(1, math.ceil(round((target or 0.0) / rate, 9)))
    measured = workers <= unit.measured_workers
    note = _extrapolation(unit, workers)
    if instances > MAX_INSTANCES:
        note += (
            f"; {instances} instances is over Azure's default {MAX_INSTANCES} a deployment "
            "(an exception can be asked for)"
        )
    return Candidate(sku, workers, instances, True, rate, measured, note)


def _extrapolation(unit: Unit, workers: int) -> str:
    if workers <= unit.measured_workers:
        return (
            f"measured: {unit.measured_workers} worker(s) of {unit.cpu:g} cores met the objective"
        )
    seen = (
        f"the profile measured {unit.measured_workers} worker(s)"
        if unit.measured_workers
        else "no measured trial met the objective at this rate"
    )
    can = min(workers, unit.machine_workers)
    return (
        f"NOT measured: {workers} workers x {unit.queries_per_second or 0:.4g}/s each is "
        f"extrapolated ({seen}; this machine can run {can} worker(s) of {unit.cpu:g} cores "
        f"at once, so at most {can} of the {workers} can be checked here)"
    )


def rank(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Those that meet the objective first: cheapest per hour where priced, else the
    fewest vCPUs in total; ties go to less memory, then to what was measured (fewer
    workers per instance), then by name."""

    def key(c: Candidate) -> tuple[Any, ...]:
        over = c.instances is not None and c.instances > MAX_INSTANCES
        cost = c.cost_per_hour
        return (
            not c.meets_objective,
            over,
            cost is None,
            cost if cost is not None else 0.0,
            c.total_vcpus if c.total_vcpus is not None else math.inf,
            (c.instances or 0) * c.sku.memory_in_gb,
            c.workers,
            c.sku.instance_type.lower(),
        )

    return sorted(candidates, key=key)
