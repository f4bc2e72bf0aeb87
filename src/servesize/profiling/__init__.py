"""servesize.profiling: limits, launcher, sampler, and the profiling procedure.

The layers above (``servesize.sdk``) resolve what users pass into a
:class:`ProfileRequest`, check it with :func:`check_entry_script` and
:func:`check_limits`, and start it with :func:`start_run`.
"""

from servesize.profiling.launcher import Service, launch
from servesize.profiling.limits import Cgroup, CgroupSupport, CpuPlan, detect, plan_cpus
from servesize.profiling.prepare import check_entry_script, check_limits, missing_requirements
from servesize.profiling.procedure import PHASES, ProgressFn
from servesize.profiling.request import EnvironmentSpec, ProfileRequest
from servesize.profiling.sampler import Sampler
from servesize.profiling.settings import GIB, MIB, ProfileSettings
from servesize.profiling.start import StartedRun, start_run

__all__ = [
    "GIB",
    "MIB",
    "PHASES",
    "Cgroup",
    "CgroupSupport",
    "CpuPlan",
    "EnvironmentSpec",
    "ProfileRequest",
    "ProfileSettings",
    "ProgressFn",
    "Sampler",
    "Service",
    "StartedRun",
    "check_entry_script",
    "check_limits",
    "detect",
    "launch",
    "missing_requirements",
    "plan_cpus",
    "start_run",
]
