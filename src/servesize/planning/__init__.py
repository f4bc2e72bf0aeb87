"""servesize.planning: an autoscaling plan for a profile and a traffic trace.

From a stored profile (one replica's limits, its fitted queueing model, CPU per query,
cold start) and a trace of arrival times: the static fleet that carries the trace's
peak, the HorizontalPodAutoscaler's and the KEDA HTTP add-on's settings, each checked
by simulating the autoscaler as documented over the trace, and the plan confirmed on
real replicas over the trace's hardest window (docs/planning.md).
"""

from servesize.planning.plan import Plan, make_plan, store_plan, store_unplanned, stored_figures
from servesize.planning.run import plan_profile
from servesize.planning.settings import AUTOSCALERS, PlanSettings

__all__ = [
    "AUTOSCALERS",
    "Plan",
    "PlanSettings",
    "make_plan",
    "plan_profile",
    "store_plan",
    "store_unplanned",
    "stored_figures",
]
