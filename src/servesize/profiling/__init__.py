"""servesize.profiling: limits, launcher and sampler (the procedure builds on them)."""

from servesize.profiling.launcher import Service, launch
from servesize.profiling.limits import Cgroup, CgroupSupport, CpuPlan, detect, plan_cpus
from servesize.profiling.sampler import Sampler

__all__ = [
    "Cgroup",
    "CgroupSupport",
    "CpuPlan",
    "Sampler",
    "Service",
    "detect",
    "launch",
    "plan_cpus",
]
