"""``servesize loadtest``: drive a URL with dataset rows and print exact latency metrics."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from servesize.cli._app import DEFAULT_WORKSPACE, WorkspaceOption, command_app, command_help
from servesize.cli._output import err_console
from servesize.errors import CancelledError, InvalidInputError, ServesizeError

#: Share of late sends above which the run warns that the generator fell behind.
LATE_WARNING_SHARE = 0.01

loadtest_app = command_app("loadtest")


@loadtest_app.command(help=command_help("loadtest"))
def loadtest(
    url: Annotated[str, typer.Argument(help="Target URL, e.g. http://127.0.0.1:5001/score.")],
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Registered dataset id (rows = bodies).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="File of request bodies, one a line.")
    ] = None,
    rate: Annotated[float | None, typer.Option(help="Open loop: requests per second.")] = None,
    arrival: Annotated[str, typer.Option(help="Open-loop schedule: poisson or constant.")] = (
        "poisson"
    ),
    concurrency: Annotated[
        int | None, typer.Option(help="Closed loop: requests always in flight.")
    ] = None,
    schedule: Annotated[
        Path | None,
        typer.Option(
            "--schedule",
            help="Open loop at a trace's own send times: arrival times (s or ISO 8601), "
            "a CSV with a timestamp column, or start,count rows (docs/loadtest.md).",
        ),
    ] = None,
    traffic_speed: Annotated[
        float, typer.Option("--traffic-speed", help="Replay the --schedule X times faster.")
    ] = 1.0,
    traffic_column: Annotated[
        str | None,
        typer.Option("--traffic-column", help="The --schedule CSV's timestamp column."),
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option(
            help="Minimum measured time (30s, 2m, 500ms); default 30s, or with --schedule "
            "the whole trace (a duration cuts it)."
        ),
    ] = None,
    min_queries: Annotated[
        int | None, typer.Option("--min-queries", help="Minimum measured queries.")
    ] = None,
    warmup: Annotated[str, typer.Option(help="Unmeasured time before measuring.")] = "0s",
    method: Annotated[str, typer.Option(help="HTTP method.")] = "POST",
    content_type: Annotated[
        str, typer.Option("--content-type", help="Content-Type of the bodies.")
    ] = "application/json",
    header: Annotated[
        list[str] | None, typer.Option("--header", help="Extra header K:V (repeatable).")
    ] = None,
    timeout: Annotated[str, typer.Option(help="Per-request timeout.")] = "60s",
    processes: Annotated[int, typer.Option(help="Generator processes (merged metrics).")] = 1,
    json_out: Annotated[
        Path | None, typer.Option("--json-out", help="Write every metric as JSON here.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the Poisson schedule.")] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    from servesize.load import LoadSpec, parse_duration, read_trace, run_load

    if (dataset is None) == (file is None):
        raise InvalidInputError("give exactly one of --dataset and --file")
    if arrival not in ("poisson", "constant"):
        raise InvalidInputError(f"--arrival must be poisson or constant, not {arrival!r}")
    if sum(pace is not None for pace in (rate, concurrency, schedule)) != 1:
        raise InvalidInputError("give exactly one of --rate, --concurrency and --schedule")
    trace = None
    if schedule is not None:
        trace = read_trace(schedule, column=traffic_column, speed=traffic_speed)
        if trace.column is not None:
            err_console.print(f"{schedule}: arrival times from column {trace.column}")
    elif traffic_column is not None or traffic_speed != 1.0:
        raise InvalidInputError("--traffic-speed and --traffic-column apply to --schedule")
    if duration is None:
        duration = None if trace is not None else "30s"
    spec = LoadSpec(
        url=url,
        bodies=_bodies(dataset, file, workspace),
        method=method.upper(),
        headers=_headers(content_type, header or []),
        rate=rate,
        arrival="constant" if arrival == "constant" else "poisson",
        concurrency=concurrency,
        schedule=None if trace is None else trace.arrivals,
        duration=None if duration is None else parse_duration(duration),
        min_queries=min_queries,
        warmup=parse_duration(warmup),
        timeout=parse_duration(timeout),
        processes=processes,
        seed=seed,
    )
    result, interrupted = _run_with_progress(lambda p, s: run_load(spec, progress=p, stop=s))
    traffic = None if trace is None else trace.summary().to_dict()
    if json_out is not None:
        data = result.to_dict() if traffic is None else {**result.to_dict(), "traffic": traffic}
        try:
            json_out.write_text(json.dumps(data, indent=2) + "\n")
        except OSError as exc:
            raise InvalidInputError(f"cannot write {json_out}: {exc.strerror}") from exc
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"load test of {url}", markup=False)
    out.print(_table(result.metrics, scheduled=trace is not None))
    if traffic is not None:
        out.print(f"trace {traffic['source']}", markup=False)
        out.print(_trace_table(traffic))
    late = float(result.metrics.get("lateSendShare") or 0.0)
    if late > LATE_WARNING_SHARE:
        hint = "try --processes or fewer other jobs on this machine"
        if result.metrics.get("senderRealtime") is False:
            hint = (
                "it ran without real-time priority: allow it with CAP_SYS_NICE or an "
                "RLIMIT_RTPRIO of 1 or more (ulimit -r), or run fewer other jobs here"
            )
        err_console.print(
            f"warning: {late:.1%} of requests were sent more than 1 ms late: the generator "
            f"could not keep its schedule ({hint})"
        )
    if interrupted:
        raise CancelledError("interrupted: the table shows what was measured until then")


def _bodies(dataset: str | None, file: Path | None, workspace: Path) -> list[bytes]:
    from servesize.workspace import Store, read_dataset_file

    if file is not None:  # the same "lines" format as `servesize dataset register`
        return [row.encode() for row in read_dataset_file(file, "lines")]

    with Store.open(workspace) as store:
        return [row.encode() for row in store.datasets.rows(str(dataset))]


def _headers(content_type: str, pairs: list[str]) -> dict[str, str]:
    headers = {"Content-Type": content_type} if content_type else {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise InvalidInputError(f"bad --header {pair!r}: expected Name:value")
        headers[name.strip()] = value.strip()
    return headers


def _run_with_progress(call: Any) -> tuple[Any, bool]:
    """Run ``call(progress, stop)`` in a thread, a live line on a TTY; Ctrl-C stops it."""
    stop = threading.Event()
    box: dict[str, Any] = {}
    line = Text("starting ...")
    live = Live(line, console=err_console, transient=True, auto_refresh=False)

    def progress(snap: dict[str, Any]) -> None:
        line.plain = _progress_line(snap)
        live.refresh()

    def target() -> None:
        try:
            box["result"] = call(progress if sys.stderr.isatty() else None, stop)
        except ServesizeError as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="servesize-loadtest")
    interrupted = False
    with live if sys.stderr.isatty() else _nothing():
        thread.start()
        while thread.is_alive():
            try:
                thread.join(0.2)
            except KeyboardInterrupt:
                interrupted = True
                stop.set()
    if "error" in box:
        raise box["error"]
    return box["result"], interrupted


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def _progress_line(s: dict[str, Any]) -> str:
    rate = s.get("measuredQueriesPerSecond")
    p99 = s.get("latencyPercentile99InMs")
    return (
        f"{s['phase']} {s['t']:.0f}s  queries {s['totalQueries']:,}  errors {s['errors']:,}  "
        f"last second: {rate if rate is not None else '-'}/s, p99 "
        f"{p99 if p99 is not None else '-'} ms"
    )


def _metric_table() -> Table:
    table = Table(show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    return table


def _epoch(unit: object) -> str:
    """How numbers too large for seconds were read (docs/loadtest.md)."""
    return f" ({unit} since the epoch)" if unit in ("ms", "us", "ns") else ""


def _spread(tick: object) -> str:
    """Arrivals that shared a time on a coarse clock, spread within its tick."""
    return f", shared times spread within their {tick:g} s" if isinstance(tick, float) else ""


def _trace_table(t: dict[str, Any]) -> Table:
    table = _metric_table()
    mean, cv = t["meanQueriesPerSecond"], t["interArrivalCv"]
    rows = [
        (
            "format",
            t["format"] + _epoch(t.get("timeUnit")) + _spread(t.get("timeResolutionSeconds")),
        ),
        ("speed", f"{t['speed']:g}x"),
        ("requests", f"{t['requests']:,}"),
        ("duration", f"{t['durationSeconds']:,.1f} s"),
        ("mean rate", "-" if mean is None else f"{mean:,.2f}/s"),
    ]
    rows += [(f"peak rate over {w}", f"{q:,.2f}/s") for w, q in t["peakQueriesPerSecond"].items()]
    rows.append(("inter-arrival CV", "-" if cv is None else f"{cv:.2f}"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _table(m: dict[str, Any], *, scheduled: bool = False) -> Table:
    table = _metric_table()

    def ms(key: str) -> str:
        value = m.get(key)
        return "-" if value is None else f"{value:,.3f} ms"

    requested = m.get("requestedQueriesPerSecond")
    asked = "closed loop" if requested is None else f"{requested:,.1f}/s"
    if scheduled:
        asked = "schedule" if requested is None else f"schedule, mean {requested:,.1f}/s"
    rows = [
        ("queries", f"{m['totalQueries']:,}"),
        ("success rate", f"{m['successRate']:.2%}"),
        ("requested rate", asked),
        ("measured rate", f"{m['measuredQueriesPerSecond']:,.1f}/s"),
        ("duration", f"{m['durationSeconds']:.2f} s"),
        ("latency mean", ms("averageLatencyInMs")),
        ("latency min", ms("minLatencyInMs")),
    ]
    rows += [(f"latency p{p}", ms(f"latencyPercentile{k}InMs")) for p, k in _PCTS]
    rows.append(("latency max", ms("maxLatencyInMs")))
    rows += [(f"service time p{p}", ms(f"serviceTimePercentile{k}InMs")) for p, k in _PCTS]
    rows += [
        (f"time to first byte p{p}", ms(f"timeToFirstBytePercentile{k}InMs")) for p, k in _PCTS
    ]
    rows.append(("late sends (> 1 ms)", f"{m['lateSendShare']:.2%}"))
    for status, n in m["errorsByStatus"].items():
        rows.append((f"HTTP {status}", f"{n:,}"))
    for kind, n in m["errorsByKind"].items():
        rows.append((f"{kind} errors", f"{n:,}"))
    for name, value in rows:
        table.add_row(name, value)
    return table


_PCTS = (("50", "50"), ("90", "90"), ("95", "95"), ("99", "99"), ("99.9", "999"))
