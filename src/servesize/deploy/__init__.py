"""Where to run what a profile measured: a VM size and count, and what it costs.

Pure functions over stored figures (docs/azureml-v2.md): the SKU table shipped with
servesize or the user's own (``--skus FILE``), the user's prices (``--price``), the
choice of SKU and instance count for the profile's target (or its traffic plan), and the
Azure ML v2 managed online deployment YAML.  Imports only ``workspace`` and ``errors``.

>>> from servesize.deploy import DeployOptions, plan_deployment
>>> details = {"recommendedCpu": 1.0, "recommendedMemoryInGB": 0.5, "recommendedWorkers": 1,
...            "latencyObjective": "p99<=50ms", "sloMet": True,
...            "maxQueriesPerSecondWithinSlo": 100.0, "requestedQueriesPerSecond": 300.0}
>>> deployment, cost = plan_deployment(details, DeployOptions.parse(prices=["core-hour=0.05"]))
>>> deployment["instanceType"], deployment["instanceCount"], deployment["workersPerInstance"]
('Standard_F4s_v2', 1, 3)
>>> cost["perHour"], cost["perMillionRequests"]
(0.2, 0.185185)
"""

from servesize.deploy._api import DeployOptions, attach, plan_deployment
from servesize.deploy._azureml import azureml_yaml
from servesize.deploy._choose import reserved_cpu, reserved_memory_gb
from servesize.deploy._plan import has_plan
from servesize.deploy._prices import PRICE_KEYS, Prices, parse_prices
from servesize.deploy._skus import Sku, bundled_skus, find_sku, read_skus

__all__ = [
    "PRICE_KEYS",
    "DeployOptions",
    "Prices",
    "Sku",
    "attach",
    "azureml_yaml",
    "bundled_skus",
    "find_sku",
    "has_plan",
    "parse_prices",
    "plan_deployment",
    "read_skus",
    "reserved_cpu",
    "reserved_memory_gb",
]
