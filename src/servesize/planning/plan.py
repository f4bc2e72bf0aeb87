"""A plan for a stored profile and a trace: static, HPA and KEDA, simulated; stored.

``make_plan(figures, arrivals)`` is pure (no store, no processes): the replica the
profile sized, its latency table, the static fleet, the two autoscalers' choices and
the chosen one's timeline, as an :class:`~servesize.workspace.Autoscaling` figure.
``store_plan`` writes it (and the trace's summary) into the profile's details.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from servesize.deploy import DeployOptions, attach
from servesize.errors import InvalidInputError
from servesize.planning.choose import (
    Choice,
    choose_hpa,
    choose_keda,
    minutes_share,
    required_share,
    static_replicas,
)
from servesize.planning.fleet import Simulation
from servesize.planning.rates import counts_per_second
from servesize.planning.replay import TraceCheck, check_on_trace
from servesize.planning.replica import LatencyTable, Replica
from servesize.planning.settings import AUTOSCALERS, PlanSettings
from servesize.workspace import Autoscaling, Figures, PlanPredicted, Store

__all__ = ["Plan", "make_plan", "store_plan", "store_unplanned", "stored_figures"]

#: checks on the trace's arrivals kept whole (the chosen setting's is read at the end)
_KEPT_CHECKS = 2
#: with no limit (``beyond_measured=0``), a replica loaded past this many times the
#: highest rate the profile measured meeting the objective is on the model's word
#: alone: the plan's note says so
BEYOND_MEASURED = 1.25


@dataclass
class Plan:
    """The figure to store, and what the confirmation needs of the simulation."""

    figure: Autoscaling
    simulation: Simulation
    seconds: float

    @property
    def table(self) -> LatencyTable:
        return self.simulation.table


def _summary(choice: Choice) -> dict[str, Any]:
    sim = choice.simulation
    return {
        "replicaHours": round(sim.replica_hours, 4),
        "attainment": round(sim.attainment, 5),
        "met": choice.met,
    }


def _predicted(
    sim: Simulation, static: int, static_sim: Simulation, need: float, check: TraceCheck
) -> PlanPredicted:
    minutes = sim.minutes()
    worst = max(
        minutes,
        key=lambda m: (
            math.inf if m["predictedPercentileMs"] is None else m["predictedPercentileMs"]
        ),
        default=None,
    )
    return PlanPredicted(
        replica_hours=round(sim.replica_hours, 4),
        static_replicas=static,
        static_replica_hours=round(static_sim.replica_hours, 4),
        attainment=round(sim.attainment, 5),
        required_attainment=need,
        minutes_meeting_objective=round(minutes_share(sim), 5) if minutes else None,
        worst_minute=worst,
        mean_replicas=round(float(sim.replicas.mean()), 3),
        peak_replicas=int(sim.replicas.max()),
        attainment_on_arrivals=round(check.attainment, 5),
        minutes_meeting_objective_on_arrivals=round(check.minutes_share(), 5),
        worst_minute_on_arrivals=check.worst_minute(),
    )


def make_plan(
    figures: Figures,
    arrivals: npt.ArrayLike,
    *,
    autoscaler: str = "hpa",
    settings: PlanSettings | None = None,
    name: str = "the profile",
    duration: float | None = None,
) -> Plan:
    """Plan ``figures``' replica for ``arrivals`` (seconds from the trace's start;
    ``duration``: the trace's length when it runs on past its last arrival)."""
    if autoscaler not in AUTOSCALERS:
        raise InvalidInputError(
            f"unknown autoscaler {autoscaler!r}: choose one of {', '.join(AUTOSCALERS)}"
        )
    started = time.process_time()
    s = settings or PlanSettings()
    replica = Replica.from_figures(figures, name)
    counts = counts_per_second(arrivals, duration)
    limited = s.beyond_measured > 0 and replica.measured_rate > 0
    limit = replica.measured_rate * s.beyond_measured if limited else math.inf
    table = LatencyTable(replica, limit=limit)
    need = required_share(table, s)

    # settings that differ often ready the same pods: each pod count over time is
    # checked once; its share is kept, the check itself (a latency for every arrival:
    # 16 bytes each, hundreds of MB for a day's trace) only for the last few
    shares: dict[bytes, float] = {}
    recent: OrderedDict[bytes, TraceCheck] = OrderedDict()

    def on_trace(sim: Simulation) -> TraceCheck:
        key = sim.ready.tobytes()
        if key in recent:
            recent.move_to_end(key)
            return recent[key]
        check = recent[key] = check_on_trace(replica, arrivals, sim.ready, s.seed)
        shares[key] = check.attainment
        if len(recent) > _KEPT_CHECKS:
            recent.popitem(last=False)
        return check

    def on_arrivals(sim: Simulation) -> bool:
        # the share of requests only: a minute's percentile over its few hundred
        # simulated requests is a sample (its slowest few), where the smoothed one is
        # read from distributions, so the minutes are judged on smoothed rates
        key = sim.ready.tobytes()
        share = shares[key] if key in shares else on_trace(sim).attainment
        return share >= need

    static, static_sim = static_replicas(counts, table, s, on_arrivals)
    hpa = choose_hpa(counts, table, s, static, on_arrivals)
    keda = choose_keda(counts, table, s, static, on_arrivals)
    chosen = hpa if autoscaler == "hpa" else keda
    sim = chosen.simulation
    reaction = s.sync_period + s.metric_window + s.metric_delay + s.pod_start_seconds
    reaction += replica.cold_start_seconds
    notes = []
    if not chosen.met:
        notes.append(
            f"no {autoscaler} setting tried reached {need:.1%} of requests within "
            f"{table.limit_ms:g} ms: the minimum is the static count"
        )
    check = on_trace(sim)  # the chosen setting's, as its search checked it
    if check.attainment < need:
        notes.append(
            f"on the trace's own arrival times {check.attainment:.2%} of requests are "
            f"predicted within {table.limit_ms:g} ms (the search's smoothed rates: "
            f"{sim.attainment:.2%}): its bursts are shorter than the {s.rate_window:g} s rate "
            f"window, and no setting up to {static} replicas absorbed them"
        )
    notes += _measured_notes(sim, replica, table, need)
    if sim.replica_hours >= static_sim.replica_hours:
        notes.append("autoscaling saves nothing on this trace: the static fleet costs no more")
    figure = Autoscaling(
        autoscaler=autoscaler,
        hpa={**hpa.settings, "predicted": _summary(hpa)},
        keda={**keda.settings, "predicted": _summary(keda)},
        timeline=sim.rows,
        predicted=_predicted(sim, static, static_sim, need, check),
        replica={
            **replica.to_dict(),
            "ratePerReplicaWithinObjective": round(table.rate_within(need, limited=False), 3),
            "plannedQueriesPerSecondAtMost": round(limit, 3) if limited else None,
        },
        objective=replica.objective.label,
        reaction_seconds=round(reaction, 3),
        settings=s.to_dict(),
        note="; ".join(notes) or None,
    )
    return Plan(figure, sim, time.process_time() - started)


def _measured_notes(
    sim: Simulation, replica: Replica, table: LatencyTable, need: float
) -> list[str]:
    """What the plan rests on past what the profile measured: the limit that kept
    replicas near the highest rate measured meeting the objective, when the model alone
    would load them more; the busiest window, when it loads a replica well past that
    rate all the same; or that no run measured the objective met there."""
    measured = replica.measured_rate
    if measured <= 0:
        return [
            f"no trusted run of the profile measured the objective met at these limits "
            f"({replica.cores:g} cores, {replica.workers} worker(s)): the plan rests on the "
            "model alone, with no limit from what was measured"
        ]
    notes = []
    model_rate = table.rate_within(need, limited=False)
    if model_rate > table.limit:
        share = sim.settings.beyond_measured
        times = "the most" if share == 1 else f"{share:g}x the {measured:.1f}/s"
        notes.append(
            f"a replica is planned to carry at most {table.limit:.1f} requests/s, {times} "
            "the profile measured meeting the objective at these limits, where its model "
            f"alone puts {model_rate:.1f}/s within: profile with --qps {math.ceil(model_rate)} "
            "to measure there and plan fewer replicas, or plan on the model alone (--setting "
            "beyond_measured=0)"
        )
    part = sim.confirmation_window()
    seconds = part.stop - part.start
    busiest = float(np.mean(sim.counts[part] / np.maximum(sim.ready[part], 1.0)))
    if busiest > measured * (sim.settings.beyond_measured or BEYOND_MEASURED):
        notes.append(
            f"its busiest {seconds} s (the window its confirmation replays) load a replica "
            f"with {busiest:.1f} requests/s, {busiest / measured:.1f}x the {measured:.1f}/s "
            "the profile measured meeting the objective at these limits: the latency there "
            "is the model's extrapolation (the confirmation checks it; profile with --qps "
            f"{math.ceil(busiest)} to measure it)"
        )
    return notes


def store_plan(store: Store, name: str, plan: Plan, traffic: dict[str, Any] | None) -> Figures:
    """Write the plan (and the trace's summary) into profile ``name``'s details."""
    record = store.profiles.get(name)
    figures = Figures.from_details(record.details)
    figures.autoscaling = plan.figure
    figures.traffic = traffic
    if figures.deployment is not None:
        # where to run it and its cost follow the plan's replicas (servesize.deploy reads
        # them), with the options the profile chose its deployment with
        attach(figures, DeployOptions.stored(figures.deployment, figures.cost))
    store.profiles.update(name, details=figures.to_details())
    return figures


def store_unplanned(store: Store, name: str, reason: str, traffic: dict[str, Any] | None) -> None:
    """Record in profile ``name``'s details why the traffic given was not planned."""
    figures = Figures.from_details(store.profiles.get(name).details)
    figures.autoscaling = Autoscaling(note=f"not planned: {reason}")
    figures.traffic = traffic
    store.profiles.update(name, details=figures.to_details())


def stored_figures(store: Store, name: str) -> Figures:
    """The figures of a profile a plan can start from (it must have succeeded)."""
    record = store.profiles.get(name)
    if record.state != "Succeeded":
        raise InvalidInputError(
            f"profile {name!r} is {record.state}: only a profile that succeeded can be planned"
        )
    return Figures.from_details(record.details)
