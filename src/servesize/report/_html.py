"""The self-contained HTML report: one file, inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from html import escape

from servesize.report import _charts, _facts
from servesize.report._deploy import deployment_tables
from servesize.report._facts import FactTable, fmt, fmt_gb, fmt_ms, fmt_share
from servesize.report._sizing import objective_tables, sizing_chart
from servesize.report._view import ProfileView

_CSS = """
:root{--bg:#f4f6fa;--card:#fff;--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;
--ok:#15803d;--okbg:#dcfce7;--bad:#b91c1c;--badbg:#fee2e2;--warn:#92400e;--warnbg:#fef3c7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1160px;margin:0 auto;padding:28px 24px 48px}
header{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap;margin-bottom:18px}
header h1{font-size:22px;margin:0;font-weight:650;letter-spacing:-.01em}
header .sub{color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:18px 20px;
box-shadow:0 1px 2px rgba(15,23,42,.04);margin-bottom:18px}
.card h2{font-size:15px;margin:0 0 2px;font-weight:620}
.card p.hint{margin:0 0 10px;color:var(--muted);font-size:12.5px}
.hero{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:18px;
align-items:start}
.big .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.big .value{font-size:34px;font-weight:680;letter-spacing:-.02em;line-height:1.15}
.big .unit{font-size:15px;font-weight:500;color:var(--muted);margin-left:4px}
.big .more{color:var(--muted);font-size:12.5px}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-weight:650;font-size:12px;
letter-spacing:.04em}
.badge.ok{background:var(--okbg);color:var(--ok)}.badge.bad{background:var(--badbg);color:var(--bad)}
.badge.warn{background:var(--warnbg);color:var(--warn)}.badge.info{background:#e0e7ff;color:#3730a3}
ul.reasons{margin:6px 0 0;padding-left:18px;color:var(--bad);font-size:13px}
.banner{border-radius:12px;padding:12px 16px;margin-bottom:18px;font-weight:520}
.banner.bad{background:var(--badbg);color:var(--bad)}.banner.warn{background:var(--warnbg);
color:var(--warn)}
.banner pre{white-space:pre-wrap;margin:6px 0 0;font-size:12.5px;font-weight:400}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;
margin-bottom:18px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:12px 14px}
.tile .label{color:var(--muted);font-size:12px}.tile .value{font-size:20px;font-weight:640}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:18px}
.cols>.card{margin-bottom:0}.cols{margin-bottom:18px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:560;font-size:12px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td:first-child{color:#334155}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:#eef2f7}svg .axis{stroke:#94a3b8}
svg text{font-family:inherit}svg .tick{font-size:11px;fill:#64748b}
svg .axis-title{font-size:12px;fill:#475569}svg .legend{font-size:12px;fill:#334155}
svg .rule{font-size:11px;font-weight:600}svg .band{font-size:10px;fill:#475569;
text-transform:uppercase;letter-spacing:.06em}
svg .marker{font-size:12px;font-weight:650}svg .dot{font-size:10.5px;fill:#475569}
.nodata{height:120px;display:flex;align-items:center;justify-content:center;color:var(--muted);
border:1px dashed var(--line);border-radius:10px;font-size:13px}
footer{color:var(--muted);font-size:12px;margin-top:8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _cell(text: str, first: bool) -> str:
    # Values are right-aligned so figures line up; labels stay left.
    return f"<td>{_e(text)}</td>" if first else f'<td class="num">{_e(text)}</td>'


def table(facts: FactTable, empty: str = "not recorded") -> str:
    if not facts.rows:
        return f'<p class="hint">{_e(empty)}</p>'
    head = ""
    if any(facts.headers[1:]) and len(facts.headers) > 2:  # key/value tables need no header
        head = (
            "<thead><tr>"
            + "".join(
                f'<th class="{"num" if i else ""}">{_e(h)}</th>'
                for i, h in enumerate(facts.headers)
            )
            + "</tr></thead>"
        )
    body = "".join(
        "<tr>" + "".join(_cell(c, i == 0) for i, c in enumerate(row)) + "</tr>"
        for row in facts.rows
    )
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _card(title: str, body: str, hint: str = "") -> str:
    hint_html = f'<p class="hint">{_e(hint)}</p>' if hint else ""
    return f'<section class="card"><h2>{_e(title)}</h2>{hint_html}{body}</section>'


def _verdict(view: ProfileView) -> str:
    if view.validity == "VALID":
        badge = '<span class="badge ok">VALID</span>'
    elif view.validity == "INVALID":
        badge = '<span class="badge bad">INVALID</span>'
    else:
        tone = {"Failed": "bad", "TimedOut": "bad", "Cancelled": "warn"}.get(view.state, "info")
        badge = f'<span class="badge {tone}">{_e(view.state.upper())}</span>'
    reasons = "".join(f"<li>{_e(r)}</li>" for r in view.validity_reasons)
    reasons_html = f'<ul class="reasons">{reasons}</ul>' if reasons else ""
    more = (
        view.headline() if view.state == "Succeeded" else "no verdict: the profile did not finish"
    )
    return (
        f'<div class="big"><div class="label">Verdict</div><div class="value">{badge}</div>'
        f'<div class="more">{_e(more)}</div>{reasons_html}</div>'
    )


def _big(label: str, value: object, unit: str, more: str) -> str:
    shown = "—" if value is None else fmt(value)
    return (
        f'<div class="big"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(shown)}<span class="unit">{_e(unit)}</span></div>'
        f'<div class="more">{_e(more)}</div></div>'
    )


def _hero(view: ProfileView) -> str:
    f = view.figures
    mem = f.recommended_memory_in_gb
    mem_more = fmt_gb(mem).split(" (")[-1].rstrip(")") if mem is not None else "no recommendation"
    rec_latency = f.recommendation_latency_in_ms
    replicas = f.recommended_replicas
    times = f", x {replicas} replicas" if replicas is not None and replicas > 1 else ""
    cpu_more = (
        f"{_facts.objective_percentile(f)} {fmt_ms(rec_latency)} under the recommendation{times}"
        if rec_latency is not None
        else "no recommendation"
        if f.recommended_cpu is None
        else "recommended CPU"
    )
    return (
        '<section class="card hero">'
        + _big("Recommended CPU", f.recommended_cpu, "cores", cpu_more)
        + _big("Recommended memory", mem, "GB", mem_more)
        + _verdict(view)
        + "</section>"
    )


def _banners(view: ProfileView) -> str:
    out = []
    if view.state != "Succeeded":
        detail = f"<pre>{_e(view.error_message)}</pre>" if view.error_message else ""
        kind = "warn" if view.state in {"Cancelled", "Running", "NotStarted"} else "bad"
        title = {
            "Failed": "This profile failed: there is no recommendation.",
            "TimedOut": "This profile timed out: there is no recommendation.",
            "Cancelled": "This profile was cancelled before it finished: no recommendation.",
        }.get(view.state, view.headline())
        out.append(f'<div class="banner {kind}">{_e(title)}{detail}</div>')
    if view.figures.limits_enforced is False:
        note = view.figures.limits_note or "the machine did not allow it"
        out.append(
            '<div class="banner warn">CPU and memory limits were not enforced '
            f"({_e(note)}): usage was measured, but the service was not held to the "
            "requested limits.</div>"
        )
    if view.figures.oom_killed:
        out.append(
            '<div class="banner bad">The service was killed for lack of memory; '
            "the memory recommendation was raised above the limit it hit.</div>"
        )
    return "".join(out)


def _tiles(view: ProfileView) -> str:
    f = view.figures
    tiles = [
        ("p50 latency", fmt_ms(f.latency_percentile50_in_ms)),
        ("p99 latency", fmt_ms(f.latency_percentile99_in_ms)),
        ("Measured rate", fmt(f.measured_queries_per_second, "q/s")),
        ("Max sustainable", fmt(f.max_sustainable_queries_per_second, "q/s")),
        ("Success rate", fmt_share(f.success_rate)),
        ("Cold start", fmt(f.cold_start_seconds, "s")),
        ("Idle memory", fmt(f.idle_memory_in_gb, "GB")),
        ("CPU per query", fmt(f.cpu_seconds_per_query, "s", 4)),
    ]
    return (
        '<section class="tiles">'
        + "".join(
            f'<div class="tile"><div class="label">{_e(k)}</div>'
            f'<div class="value">{_e(v)}</div></div>'
            for k, v in tiles
        )
        + "</section>"
    )


def _sizing_cards(view: ProfileView) -> str:
    tables = objective_tables(view)
    if not tables:
        return ""
    answer, tried = tables
    return _cols(
        _card(
            "Rate within the objective against cores",
            sizing_chart(view),
            "Line: the queueing model's prediction; diamonds: measured open-loop trials "
            "(green met, red missed); the recommendation is marked.",
        ),
        _card("Sizing", table(answer)),
    ) + _card(
        "Allocations tried and predicted",
        table(tried),
        "Measured rows come from runs under exactly those limits; predicted rows from the "
        "model fitted to them.",
    )


def _plan_cards(view: ProfileView) -> str:
    from servesize.report._plan import plan_charts, plan_tables

    tables = plan_tables(view)
    if not tables:
        return ""
    charts = [_card(title, svg, hint) for title, svg, hint in plan_charts(view)]
    facts = _card(
        tables[0].title,
        table(tables[0]),
        "Simulated over the trace with the autoscaler's documented rules (docs/planning.md); "
        "the confirmation replays the hardest window on real replicas.",
    )
    return _cols(facts, *charts[:1]) + _cols(*charts[1:])


def _deployment_cards(view: ProfileView) -> str:
    tables = deployment_tables(view)
    if not tables:
        return ""
    chosen, *rest = tables
    cards = [_card(chosen.title, table(chosen), "servesize profile report NAME --format azureml")]
    if len(rest) == 2:
        cards.append(_card(rest[0].title, table(rest[0])))
    candidates = rest[-1]
    return _cols(*cards) + _card(
        candidates.title,
        table(candidates),
        "Each SKU filled with workers of the measured allocation after the system's share; "
        "ACU per vCPU is Azure's guideline, shown, never applied.",
    )


def _cols(*cards: str) -> str:
    return '<div class="cols">' + "".join(cards) + "</div>"


def render_html(view: ProfileView) -> str:
    """The whole report page as one string."""
    from servesize import __version__

    log = view.log_location
    log_html = f"Service log: <code>{_e(log)}</code>. " if log else ""
    body = [
        f'<header><h1>{_e(view.name)}</h1><span class="sub">servesize profile · '
        f"{_e(view.state)} · {_e(view.get('createdTime') or '')}</span></header>",
        _banners(view),
        _hero(view),
        _tiles(view),
        _sizing_cards(view),
        _plan_cards(view),
        _deployment_cards(view),
        _cols(
            _card(
                "Latency percentiles",
                table(_facts.latency(view)),
                "Measurement phase; latency from the scheduled send time, service time "
                "from the actual send.",
            ),
            _card("Throughput", table(_facts.throughput(view))),
        ),
        _cols(
            _card(
                "Latency vs throughput",
                _charts.capacity(view),
                "Closed-loop capacity search, one point per concurrency step; the "
                "chosen operating point is marked.",
            ),
            _card(
                "Latency distribution",
                _charts.latency_cdf(view),
                "Cumulative share of measured requests (log scale).",
            ),
        ),
        _cols(
            _card(
                "CPU over time",
                _charts.usage_over_time(view, "cpu"),
                "Cores used per 100 ms sample; phases shaded.",
            ),
            _card(
                "Memory over time",
                _charts.usage_over_time(view, "memory"),
                "Working set of the whole service.",
            ),
        ),
        _cols(
            _card(
                "CPU contention and throttling",
                _charts.cpu_sharing_over_time(view),
                "Per 100 ms sample: time spent runnable but waiting for CPUs other "
                "processes held (contention), and share of the CFS quota's periods "
                "that stopped the service (throttled).",
            ),
            _card(
                "Per phase",
                table(_facts.cpu_sharing(view), "not measured"),
                "Contention above 1% of the time and 0.1 s per CPU-second makes a "
                "phase untrustworthy; throttling is what the limit does.",
            ),
        ),
        _cols(
            _card(
                "The CPU's speed",
                table(_facts.machine_speed(view), "not measured"),
                "A virtual CPU can run the same work slower for seconds at a time, "
                "unseen by the kernel. " + _facts.speed_rule(view),
            ),
        ),
        _cols(
            _card("Throughput per second", _charts.window_throughput(view)),
            _card("Latency per second", _charts.window_latency(view)),
        ),
        _cols(
            _card("Utilisation", table(_facts.utilisation(view))),
            _card("Errors", _charts.errors(view) + table(_facts.errors(view), "no errors")),
        ),
        _cols(
            _card("Confirmation", table(_facts.confirmation(view), "no confirmation run")),
            _card("Profile", table(_facts.profile_info(view))),
        ),
        _cols(
            _card("Settings", table(_facts.key_values("Settings", view.section("settings")))),
            _card("Machine", table(_facts.key_values("Machine", view.section("machine")))),
        ),
        _card("Environment", table(_facts.environment(view), "no environment recorded")),
        f"<footer>{log_html}Generated by servesize {_e(__version__)}.</footer>",
    ]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(view.name)} · servesize profile</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
