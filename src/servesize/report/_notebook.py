"""A profile in a Jupyter cell: what ``ModelProfile._repr_html_`` shows.

Short on purpose: the state and verdict, the recommendation with its objective, the
latency, the CPU a query cost and on which processor, and a link to the full report.
Everything that comes from the profile (names, error messages, reasons, paths) is
escaped: a notebook renders this HTML as it is.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from servesize.report._facts import fmt, fmt_gb, fmt_ms, slo_text
from servesize.report._view import ProfileView

__all__ = ["notebook_html"]

_GOOD, _BAD, _OPEN = "#1a7f37", "#cf222e", "#9a6700"


def _status(view: ProfileView) -> tuple[str, str]:
    """The word that says how it went, and its colour."""
    if view.validity == "VALID":
        return "VALID", _GOOD
    if view.validity == "INVALID":
        return "INVALID", _BAD
    return view.state, _OPEN if view.state in {"Running", "NotStarted", "Cancelled"} else _BAD


def _rows(view: ProfileView) -> list[tuple[str, str]]:
    f = view.figures
    rows = [
        ("CPU", fmt(f.recommended_cpu, "cores")),
        ("memory", fmt_gb(f.recommended_memory_in_gb)),
    ]
    if f.recommended_workers is not None or f.recommended_threads is not None:
        workers = fmt(f.recommended_workers, digits=0)
        rows.append(("workers / threads", f"{workers} / {fmt(f.recommended_threads, digits=0)}"))
    if f.recommended_replicas is not None:
        rows.append(("replicas", fmt(f.recommended_replicas, digits=0)))
    if f.latency_objective:
        rate = f.requested_queries_per_second
        at = f" at {fmt(rate, 'q/s')}" if rate else ""
        rows.append(("objective", f"{f.latency_objective}{at}: {slo_text(f)}"))
    rows.append(
        (
            "latency",
            f"p50 {fmt_ms(f.latency_percentile50_in_ms)}, "
            f"p90 {fmt_ms(f.latency_percentile90_in_ms)}, "
            f"p99 {fmt_ms(f.latency_percentile99_in_ms)}",
        )
    )
    cpq = f.cpu_seconds_per_query
    machine = f.machine
    where = ""
    if machine is not None and (machine.cpu_model or machine.cpu_count):
        cpus = f"{machine.cpu_count} CPUs" if machine.cpu_count else ""
        where = " on " + ", ".join(p for p in (machine.cpu_model, cpus) if p)
    rows.append(("CPU per query", fmt_ms(None if cpq is None else cpq * 1000) + where))
    return rows


def notebook_html(
    view: ProfileView, report_path: str | None = None, note: str | None = None
) -> str:
    """The profile as a small HTML block.

    ``report_path`` is the report's path relative to the notebook's folder (with ``/``),
    linked as a relative URL so the notebook's server opens it; ``note`` is a line of
    plain text shown under it.
    """
    esc = html.escape
    word, colour = _status(view)
    state = f"{view.state}, " if word != view.state else ""
    parts = [
        '<div class="servesize-profile">',
        f"<p><strong>Profile {esc(repr(view.name))}</strong>: {esc(state)}"
        f'<span style="color:{colour};font-weight:bold">{esc(word)}</span></p>',
    ]
    if view.state not in {"Running", "NotStarted"} or view.has_recommendation:
        cells = "".join(
            f'<tr><th style="text-align:left;padding-right:1em">{esc(k)}</th>'
            f'<td style="text-align:left">{esc(v)}</td></tr>'
            for k, v in _rows(view)
        )
        parts.append(f"<table>{cells}</table>")
    reasons = view.validity_reasons
    if reasons:
        items = "".join(f"<li>{esc(r)}</li>" for r in reasons)
        parts.append(f'<ul style="color:{_BAD}">{items}</ul>')
    if view.error_message:
        parts.append(f'<p style="color:{_BAD}">{esc(view.error_message)}</p>')
    if report_path:
        href = quote(report_path)  # a name with spaces, '#' or '?' stays one path
        parts.append(f'<p>report: <a href="{esc(href)}" target="_blank">{esc(report_path)}</a></p>')
    if note:
        parts.append(f"<p>{esc(note)}</p>")
    parts.append("</div>")
    return "\n".join(parts)
