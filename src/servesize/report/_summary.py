"""The terminal view of a profile and of a comparison (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from servesize.report import _facts
from servesize.report._compare import Comparison
from servesize.report._facts import fmt, fmt_gb, fmt_ms, yes_no
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
    d = view.details
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
    table.add_row("CPU", Text(fmt(d.get("recommendedCpu"), "cores"), style="bold"))
    table.add_row("memory", Text(fmt_gb(d.get("recommendedMemoryInGB")), style="bold"))
    if d.get("latencyObjective"):
        met = {True: "met", False: "NOT met", None: "unconfirmed"}.get(d.get("sloMet"), "—")
        table.add_row("objective", Text(f"{d['latencyObjective']}: {met}", style="bold"))
        table.add_row("replicas", fmt(d.get("recommendedReplicas"), digits=0))
        table.add_row(
            "workers / threads",
            f"{fmt(d.get('recommendedWorkers'), digits=0)} / "
            f"{fmt(d.get('recommendedThreads'), digits=0)}",
        )
        table.add_row("max q/s within it", fmt(d.get("maxQueriesPerSecondWithinSlo"), "q/s"))
        table.add_row("under it (confirmed)", fmt_ms(d.get("recommendationLatencyInMs")))
        if d.get("sizingNote"):
            table.add_row("sizing", str(d["sizingNote"]))
    else:
        table.add_row("p90 under it", fmt_ms(d.get("recommendationLatencyInMs")))
    section("Latency")
    for label, key in (("p50", "50"), ("p90", "90"), ("p99", "99"), ("p99.9", "999")):
        table.add_row(label, fmt_ms(d.get(f"latencyPercentile{key}InMs")))
    section("Throughput")
    for label, value in _facts.throughput(view).rows[:5]:
        table.add_row(label[0].lower() + label[1:], value)
    section("Utilisation")
    table.add_row("max CPU used", fmt(d.get("maxUtilizedCpu"), "cores"))
    table.add_row("peak memory", fmt_gb(d.get("maxUtilizedMemoryInGB")))
    table.add_row("cold start", fmt(d.get("coldStartSeconds"), "s"))
    table.add_row(
        "limits", f"{fmt(d.get('requestedCpu'), 'cores')}, {fmt_gb(d.get('requestedMemoryInGB'))}"
    )
    enforced = yes_no(d.get("limitsEnforced"))
    if d.get("limitsEnforced") is False:
        enforced = f"NO ({d.get('limitsNote') or 'not possible here'})"
    table.add_row("limits enforced", Text(enforced, style="yellow" if "NO" in enforced else ""))
    if d.get("oomKilled"):
        table.add_row("OOM kill", Text("yes: memory raised above the killed limit", style="red"))
    section("Verdict")
    table.add_row("verdict", _verdict_text(view))
    for reason in view.validity_reasons:
        table.add_row("", Text(f"- {reason}", style="red"))
    if view.error_message:
        table.add_row("error", Text(view.error_message, style="red"))
    table.add_row("log", view.log_location or "—")
    return table


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
