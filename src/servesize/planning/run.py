"""Plan a stored profile for a trace, confirm it on real replicas, store it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy.typing as npt

from servesize.planning.confirm import confirm_plan
from servesize.planning.plan import make_plan, store_plan, stored_figures
from servesize.planning.settings import PlanSettings
from servesize.profiling.settings import ProfileSettings
from servesize.profiling.sizing.decision import Design
from servesize.workspace import Figures, PlanConfirmation, Store

__all__ = ["plan_profile"]


def plan_profile(
    store: Store,
    name: str,
    arrivals: npt.ArrayLike,
    *,
    traffic: dict[str, Any] | None = None,
    autoscaler: str = "hpa",
    settings: PlanSettings | None = None,
    confirm: bool = True,
    progress: Callable[[str], None] | None = None,
    duration: float | None = None,
) -> Figures:
    """Plan profile ``name``'s replica for ``arrivals`` (seconds from the trace's
    start), confirm the plan over the hardest window unless ``confirm`` is False, and
    store it in the profile's details (``traffic``: the trace's summary).  Returns the
    profile's figures with the plan."""
    say = progress or (lambda text: None)
    figures = stored_figures(store, name)
    say("simulating the autoscalers over the trace")
    plan = make_plan(
        figures, arrivals, autoscaler=autoscaler, settings=settings, name=repr(name),
        duration=duration,
    )  # fmt: skip
    if confirm:
        say("confirming on real replicas over the hardest window")
        plan.figure.confirmation = confirm_plan(
            store, name, plan, arrivals, design_of(figures, plan.table.replica.objective.percentile)
        )
    else:
        plan.figure.confirmation = PlanConfirmation(skipped="confirmation was turned off")
    return store_plan(store, name, plan, traffic)


def design_of(figures: Figures, percentile: str) -> Design:
    """The decision the profile sized with: its confidence and indifference zone (the
    defaults when it stored neither)."""
    stored = figures.settings or {}
    default = ProfileSettings()
    return Design.of(
        percentile,
        confidence=float(stored.get("confidence") or default.confidence),
        indifference=float(stored.get("indifference") or default.indifference),
    )
