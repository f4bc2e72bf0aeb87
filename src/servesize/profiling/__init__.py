"""servesize.profiling: limits, launcher, sampler, and the profiling procedure.

The SDK entry points are :func:`profile` (``Model.profile``) and :class:`ModelProfile`.
"""

from servesize.profiling.launcher import Service, launch
from servesize.profiling.limits import Cgroup, CgroupSupport, CpuPlan, detect, plan_cpus
from servesize.profiling.model_profile import Details, ModelProfile, profile
from servesize.profiling.sampler import Sampler
from servesize.profiling.settings import ProfileSettings

__all__ = [
    "Cgroup",
    "CgroupSupport",
    "CpuPlan",
    "Details",
    "ModelProfile",
    "ProfileSettings",
    "Sampler",
    "Service",
    "detect",
    "launch",
    "plan_cpus",
    "profile",
]
