"""The terminal view of a profile and of a comparison (rich tables)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from servesize.report import _facts
from servesize.report._compare import Comparison
from servesize.report._deploy import deployment_of
from servesize.report._facts import DASH, fmt, fmt_gb, fmt_ms, fmt_share, slo_text, yes_no
from servesize.report._view import ProfileView


def _verdict_text(view: ProfileView) -> Text:
    if view.validity == "VALID":
        return Text("VALID", style="bold green")
    if view.validity == "INVALID":
        return Text("INVALID", style="bold red")
    style = "bold yellow" if view.state in {"Cancelled", "Running", "NotStarted"} else "bold red"
    return Text(view.state, style=style)


def summary_table(view: ProfileView) -> Table:
    """The recommendation first, then latency, throughput, utilisation, verdict, log."""
    f = view.figures
    table = Table(
        title=view.headline(),
        title_justify="left",
        show_header=False,
        box=None,
        padding=(0, 2),
        title_style="bold",
    )
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")  # paths and error messages in full

    def section(name: str) -> None:
        table.add_row(Text(name, style="bold cyan"), "")

    section("Recommendation")
    table.add_row("CPU", Text(fmt(f.recommended_cpu, "cores"), style="bold"))
    table.add_row("memory", Text(fmt_gb(f.recommended_memory_in_gb), style="bold"))
    if f.latency_objective:
        table.add_row("objective", Text(f"{f.latency_objective}: {slo_text(f)}", style="bold"))
        table.add_row("replicas", fmt(f.recommended_replicas, digits=0))
        workers = fmt(f.recommended_workers, digits=0)
        table.add_row("workers / threads", f"{workers} / {fmt(f.recommended_threads, digits=0)}")
        table.add_row("max q/s within it", fmt(f.max_queries_per_second_within_slo, "q/s"))
        table.add_row("under it (confirmed)", fmt_ms(f.recommendation_latency_in_ms))
        if f.sizing_note:
            table.add_row("sizing", f.sizing_note)
    else:
        table.add_row("p90 under it", fmt_ms(f.recommendation_latency_in_ms))
    from servesize.report._plan import plan_summary

    plan = plan_summary(view)
    if plan:
        section("Autoscaling plan")
        for label, text in plan:
            table.add_row(label, text)
    _deployment_rows(view, table, section)
    section("Latency")
    for label, ms in (
        ("p50", f.latency_percentile50_in_ms),
        ("p90", f.latency_percentile90_in_ms),
        ("p99", f.latency_percentile99_in_ms),
        ("p99.9", f.latency_percentile999_in_ms),
    ):
        table.add_row(label, fmt_ms(ms))
    section("Throughput")
    for label, value in _facts.throughput(view).rows[:5]:
        table.add_row(label[0].lower() + label[1:], value)
    section("Utilisation")
    table.add_row("max CPU used", fmt(f.max_utilized_cpu, "cores"))
    # with the machine's CPU below: what tells a slower machine from a broken install
    table.add_row("CPU per query", _cpu_per_query(f.cpu_seconds_per_query))
    table.add_row("peak memory", fmt_gb(f.max_utilized_memory_in_gb))
    table.add_row("cold start", fmt(f.cold_start_seconds, "s"))
    table.add_row("waiting for others", fmt_share(f.cpu_contention_share))
    if f.machine_slowdown is not None:
        # the host's spells no kernel figure shows (docs/verdict.md)
        table.add_row("CPU speed", f"{f.machine_slowdown:.2f}x its fastest time")
    throttled = fmt_share(f.throttled_share)
    if f.throttled_seconds is not None:
        throttled += f" of periods, {fmt(f.throttled_seconds, 's')}"
    table.add_row("throttled", throttled)
    table.add_row("limits", f"{fmt(f.requested_cpu, 'cores')}, {fmt_gb(f.requested_memory_in_gb)}")
    enforced = yes_no(f.limits_enforced)
    if f.limits_enforced is False:
        enforced = f"NO ({f.limits_note or 'not possible here'})"
    table.add_row("limits enforced", Text(enforced, style="yellow" if "NO" in enforced else ""))
    table.add_row("machine", _machine(view))
    if f.oom_killed:
        table.add_row("OOM kill", Text("yes: memory raised above the killed limit", style="red"))
    gaps = _facts.not_measured(view).rows
    if gaps:
        section("Not measured")
        for keys, reason in gaps:
            table.add_row("", Text(f"{keys}: {reason}", style="yellow"))
    section("Verdict")
    table.add_row("verdict", _verdict_text(view))
    for reason in view.validity_reasons:
        table.add_row("", Text(f"- {reason}", style="red"))
    if view.error_message:
        table.add_row("error", Text(view.error_message, style="red"))
    table.add_row("log", view.log_location or "—")
    return table


def _deployment_rows(view: ProfileView, table: Table, section: Callable[[str], None]) -> None:
    """The chosen SKU and count, and the cost with its arithmetic."""
    deployment, cost = deployment_of(view)
    if not deployment:
        return
    section("Deployment")
    d = deployment
    if d.get("instanceType"):
        measured = "" if d.get("workersMeasured") else " (NOT measured together)"
        table.add_row(
            "Azure ML v2",
            Text(f"{d['instanceType']} x {d['instanceCount']}", style="bold"),
        )
        table.add_row("workers an instance", f"{d['workersPerInstance']}{measured}")
        table.add_row("quota", fmt(d.get("quotaCores"), "cores", 0))
    notes = d.get("notes") or []
    # the CPU it was measured on; or, when nothing carries the target, why
    for note in notes[:1] if d.get("instanceType") else notes[-1:]:
        table.add_row("", Text(note, style="dim" if d.get("instanceType") else "yellow"))
    if cost:
        table.add_row("cost per hour", fmt(cost.get("perHour"), digits=4))
        table.add_row("per million requests", fmt(cost.get("perMillionRequests"), digits=4))
        if cost.get("perDay") is not None:
            table.add_row("per day (plan)", fmt(cost.get("perDay"), digits=4))
        for line in cost.get("arithmetic") or []:
            table.add_row("", Text(str(line), style="dim"))


def _cpu_per_query(seconds: float | None) -> str:
    return fmt_ms(None if seconds is None else seconds * 1000)


def _machine(view: ProfileView) -> str:
    """``AMD EPYC 7763, 2 CPUs``: the processor and how many it has."""
    machine = view.figures.machine
    if machine is None:
        return DASH
    cpus = f"{machine.cpu_count} CPUs" if machine.cpu_count else ""
    return ", ".join(part for part in (machine.cpu_model, cpus) if part) or DASH


def print_summary(view: ProfileView, console: Console | None = None) -> None:
    """Print :func:`summary_table` (the final screen of ``servesize model profile``)."""
    (console or Console()).print(summary_table(view))


def comparison_table(comparison: Comparison) -> Table:
    """The side-by-side table of ``servesize profile compare``."""
    table = Table(title=f"{comparison.a} (A) vs {comparison.b} (B)", title_justify="left")
    table.add_column("metric")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("B / A", justify="right")
    for row in comparison.rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}x"
        style = "bold red" if row.worse else ""
        table.add_row(
            row.label,
            fmt(row.a, row.unit),
            fmt(row.b, row.unit),
            Text(ratio + (" worse" if row.worse else ""), style=style),
        )
    return table
