"""An autoscaling plan in the report: its facts, its charts, and its Kubernetes/KEDA
resources, rendered from the stored details alone (``autoscaling``, ``traffic``;
docs/planning.md)."""

from __future__ import annotations

from servesize.report import _svg
from servesize.report._charts import BLUE, GREEN, GREY, ORANGE, PURPLE, RED, points, thin
from servesize.report._facts import FactTable, fmt, fmt_ms, fmt_share
from servesize.report._svg import Axis, Chart, Line, Rule
from servesize.report._view import ProfileView
from servesize.report._view import as_number as _num
from servesize.workspace import Autoscaling

__all__ = ["has_plan", "plan_charts", "plan_summary", "plan_tables"]


def _plan(view: ProfileView) -> Autoscaling | None:
    return view.figures.autoscaling


def has_plan(view: ProfileView) -> bool:
    plan = _plan(view)
    return plan is not None and bool(plan.hpa)


def _confirmation_text(plan: Autoscaling) -> str:
    c = plan.confirmation
    if c is None:
        return "not run"
    if c.skipped:
        return f"skipped: {c.skipped}"
    if c.error:
        return f"FAILED: {c.error}"
    verdict = "met" if c.met else "NOT met"
    interval = ""
    if c.measured_interval_ms:
        low, high = c.measured_interval_ms
        interval = f" (true value {fmt_ms(low)} to {fmt_ms(high)})"
    return (
        f"{fmt_ms(c.measured_ms)} measured{interval} vs {fmt_ms(c.predicted_ms)} predicted "
        f"on {fmt(c.replicas, digits=0)} replica(s): {verdict}"
    )


def _inputs_text(plan: Autoscaling) -> str | None:
    """What the confirmation measured of the model's inputs, beside the plan's: the CPU
    a request burnt, the CPU's speed, the quota's throttling (docs/planning.md)."""
    c = plan.confirmation
    if c is None or c.measured_ms is None:
        return None
    parts = []
    planned = _num((plan.replica or {}).get("cpuSecondsPerQuery"))
    if c.cpu_seconds_per_query:
        text = f"CPU {c.cpu_seconds_per_query * 1000:.2f} ms a request"
        if planned:
            text += f" ({planned * 1000:.2f} planned)"
        if c.predicted_at_measured_cpu_ms is not None:
            text += f", {fmt_ms(c.predicted_at_measured_cpu_ms)} predicted at it"
        parts.append(text)
    if c.machine_slowdown is not None:
        text = f"the CPU {c.machine_slowdown:.2f}x slower than at its fastest"
        if c.predicted_at_measured_speed_ms is not None:
            text += f", {fmt_ms(c.predicted_at_measured_speed_ms)} predicted at that speed"
        parts.append(text)
    if c.throttled_share is not None:
        parts.append(f"the quota ran out in {fmt_share(c.throttled_share)} of periods")
    return "; ".join(parts) or None


def plan_summary(view: ProfileView) -> list[tuple[str, str]]:
    """The plan in a few lines (terminal summary, Markdown)."""
    plan = _plan(view)
    if plan is None or not plan.hpa or plan.predicted is None:
        return []
    p, hpa, keda = plan.predicted, plan.hpa, plan.keda or {}
    rows = [
        (
            "HPA",
            f"target {hpa.get('targetCPUUtilizationPercentage')}% CPU of the request, "
            f"{hpa.get('minReplicas')}-{hpa.get('maxReplicas')} replicas",
        ),
        (
            "KEDA HTTP",
            f"{keda.get('requestRateTargetValue')} requests/s a replica over "
            f"{keda.get('window')}, {keda.get('minReplicaCount')}-{keda.get('maxReplicaCount')}",
        ),
        (
            f"replica-hours ({plan.autoscaler})",
            f"{fmt(p.replica_hours)} vs {fmt(p.static_replica_hours)} static "
            f"({fmt(p.static_replicas, digits=0)} replicas)",
        ),
        (
            "within the objective",
            f"{fmt_share(p.attainment)} of requests (needed {fmt_share(p.required_attainment)}), "
            f"{fmt_share(p.minutes_meeting_objective)} of minutes",
        ),
        ("confirmation", _confirmation_text(plan)),
    ]
    if plan.note:
        rows.append(("note", plan.note))
    return rows


def plan_tables(view: ProfileView) -> list[FactTable]:
    """The plan's section (empty list without a plan)."""
    plan = _plan(view)
    if plan is None or not plan.hpa:
        return []
    rows = plan_summary(view)
    inputs = _inputs_text(plan)
    if inputs:
        rows.append(("confirmation measured", inputs))
    worst = (plan.predicted.worst_minute if plan.predicted else None) or {}
    if worst:
        rows.append(
            (
                "worst minute",
                f"t = {worst.get('t')} s: {fmt_ms(worst.get('predictedPercentileMs'))}, "
                f"{fmt_share(worst.get('attainment'))} within",
            )
        )
    rows.append(("reaction time", fmt(plan.reaction_seconds, "s")))
    traffic = view.figures.traffic or {}
    if traffic:
        peaks = traffic.get("peakQueriesPerSecond") or {}
        peak = ", ".join(f"{k} {fmt(v)}" for k, v in peaks.items())
        requests = fmt(traffic.get("requests"), digits=0)
        mean = fmt(traffic.get("meanQueriesPerSecond"), "q/s")
        text = f"{traffic.get('source')}: {requests} requests over "
        text += f"{fmt(traffic.get('durationSeconds'), 's')}, mean {mean}"
        if traffic.get("timeUnit") in ("ms", "us", "ns"):
            text += f" (times read as {traffic['timeUnit']} since the epoch)"
        if isinstance(tick := traffic.get("timeResolutionSeconds"), float):
            text += f" (times shared on a {tick:g} s clock spread within it)"
        rows.append(("trace", text + (f", peaks {peak}" if peak else "")))
    return [FactTable(f"Autoscaling plan ({plan.objective})", ("", ""), rows)]


def plan_charts(view: ProfileView) -> list[tuple[str, str, str]]:
    """(title, svg, hint) of each plan chart; none without a timeline."""
    plan = _plan(view)
    if plan is None or not plan.timeline:
        return []
    rows = plan.timeline
    replica = plan.replica or {}
    per_replica = _num(replica.get("ratePerReplicaWithinObjective"))
    at_most = _num(replica.get("plannedQueriesPerSecondAtMost"))
    if per_replica and at_most:  # what the plan lets a replica carry (beyond_measured)
        per_replica = min(per_replica, at_most)
    demand = Chart(Axis("time in the trace (s)"), Axis("requests per second"))
    demand.lines.append(Line("trace's rate", thin(points(rows, "t", "rate")), BLUE))
    if per_replica:
        demand.lines.append(
            Line(
                f"ready replicas x {per_replica:g}/s",
                thin(points(rows, "t", "readyReplicas", per_replica)),
                GREEN,
            )
        )
    replicas = Chart(Axis("time in the trace (s)"), Axis("replicas"))
    replicas.lines.append(Line("desired", thin(points(rows, "t", "desiredReplicas")), PURPLE))
    replicas.lines.append(Line("ready", thin(points(rows, "t", "readyReplicas")), GREEN))
    static = _num(plan.predicted.static_replicas if plan.predicted else None)
    if static is not None:
        replicas.rules.append(Rule(static, "static plan", GREY))
    latency = Chart(Axis("time in the trace (s)"), Axis("predicted latency (ms)"))
    latency.lines.append(
        Line("predicted percentile", thin(points(rows, "t", "predictedPercentileMs")), ORANGE)
    )
    limit = _limit(plan)
    if limit is not None:
        latency.rules.append(Rule(limit, "objective", RED))
    return [
        (
            "Trace and capacity",
            _svg.render(demand, aria="the trace's rate and the ready replicas' capacity"),
            "Arrivals per second per sync period, and what the ready replicas carry within "
            "the objective.",
        ),
        (
            "Replicas over time",
            _svg.render(replicas, aria="desired and ready replicas over time"),
            f"As the simulated {plan.autoscaler} set them; new replicas are ready after "
            "their cold start.",
        ),
        (
            "Predicted latency",
            _svg.render(latency, aria="predicted latency percentile against the objective"),
            "The objective's percentile per sync period, from the profile's queueing model "
            "(a gap: a backlog, beyond the model).",
        ),
    ]


def _limit(plan: Autoscaling) -> float | None:
    label = plan.objective or ""
    _, _, tail = label.partition("<=")
    return _num(tail.removesuffix("ms")) if tail else None
