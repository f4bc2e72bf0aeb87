"""``servesize profile``: list, show, report, plan, compare and delete stored profiles."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from servesize.cli._app import DEFAULT_WORKSPACE, WorkspaceOption, command_app
from servesize.cli._deploy_options import InstanceTypeOption, PriceOption, SkusOption
from servesize.cli._output import err_console
from servesize.cli._plan import (
    AutoscalerOption,
    ConfirmOption,
    TrafficColumnOption,
    TrafficSpeedOption,
)
from servesize.deploy import DeployOptions
from servesize.report import (
    FORMATS,
    ProfileView,
    compare,
    comparison_table,
    default_filename,
    fmt,
    fmt_ms,
    parse_threshold,
    print_summary,
    render,
    with_deployment,
    write_report,
)
from servesize.workspace import Figures, Store

__all__ = ["profile_app"]

profile_app = command_app("profile")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def _view(workspace: Path, name: str) -> ProfileView:
    return ProfileView.from_store(Store.open(workspace), name)


@profile_app.command("list")
def list_profiles(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE, as_json: JsonOption = False
) -> None:
    """List the profiles of the workspace, oldest first."""
    store = Store.open(workspace)
    records = store.profiles.list() if store.exists() else []
    if as_json:
        _print_json([{**r.details, "name": r.name, "state": r.state} for r in records])
        return
    if not records:
        err_console.print(f"no profiles in {workspace}")
        return
    table = Table("name", "state", "verdict", "CPU", "memory", "p99", "created")
    for r in records:
        f = Figures.from_details(r.details)
        table.add_row(
            r.name,
            f"{r.state} (interrupted)" if f.interrupted else r.state,
            str(f.validity or "—"),
            fmt(f.recommended_cpu, "cores"),
            fmt(f.recommended_memory_in_gb, "GB"),
            fmt_ms(f.latency_percentile99_in_ms),
            r.created_time.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)


@profile_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Profile name.")],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    as_json: JsonOption = False,
) -> None:
    """The recommendation, latency, throughput, utilisation and verdict of one profile."""
    view = _view(workspace, name)
    if as_json:
        _print_json(view.details)
    else:
        print_summary(view, Console())


@profile_app.command("report")
def report(
    name: Annotated[str, typer.Argument(help="Profile name.")],
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="Output file ('-' for stdout). Default: NAME.EXT here."
        ),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = "html",
    skus: SkusOption = None,
    price: PriceOption = None,
    instance_type: InstanceTypeOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Write the report of a profile (HTML with charts by default) and print its path.

    --skus, --price and --instance-type recompute where to run it and its cost from the
    stored figures (nothing is measured again; the stored profile is not changed)."""
    options = DeployOptions.parse(skus, price, instance_type)
    view = _view(workspace, name)
    if options.given:
        view = with_deployment(view, options)
    if format == "azure":
        err_console.print(
            "note: --format azure is the retired Azure ML v1 (ACI) file, now named azure-v1; "
            "for an Azure ML v2 deployment use --format azureml",
            markup=False,
        )
    if format in {"k8s", "azure", "azure-v1", "azureml"} and view.validity == "INVALID":
        reasons = "; ".join(view.validity_reasons) or "see the report"
        err_console.print(f"warning: profile {name!r} is INVALID ({reasons})", markup=False)
    if output == "-":
        sys.stdout.write(render(view, format))
        return
    path = write_report(view, Path(output or default_filename(view.name, format)), format)
    print(path)


@profile_app.command("plan")
def plan(
    name: Annotated[str, typer.Argument(help="Profile name (a profile that succeeded).")],
    traffic: Annotated[
        Path, typer.Option("--traffic", help="Trace file: arrival times, a CSV, or counts.")
    ],
    traffic_column: TrafficColumnOption = None,
    traffic_speed: TrafficSpeedOption = 1.0,
    autoscaler: AutoscalerOption = "hpa",
    confirm: ConfirmOption = True,
    setting: Annotated[
        list[str] | None,
        typer.Option("--setting", help="A plan setting as KEY=VALUE (e.g. attainment=0.999)."),
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    as_json: JsonOption = False,
) -> None:
    """Plan replicas and autoscaling (HPA, KEDA) for a traffic trace (docs/planning.md)."""
    from servesize.cli._plan import plan_and_print, read_traffic
    from servesize.cli.model_profile import key_values

    trace = read_traffic(traffic, traffic_column, traffic_speed)
    store = Store.open(workspace)
    settings = key_values(setting or [])
    plan_and_print(
        store, name, trace, autoscaler=autoscaler, confirm=confirm, settings=settings,
        as_json=as_json,
    )  # fmt: skip


@profile_app.command("compare")
def compare_command(
    a: Annotated[str, typer.Argument(help="Baseline profile.")],
    b: Annotated[str, typer.Argument(help="Candidate profile.")],
    max_regression: Annotated[
        str, typer.Option("--max-regression", help="Allowed change: 10%, 150%, 0.1, 2.5.")
    ] = "10%",
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    as_json: JsonOption = False,
) -> None:
    """Compare B against A; exit 1 when B regressed beyond the threshold (a CI gate)."""
    threshold = parse_threshold(max_regression)
    result = compare(_view(workspace, a), _view(workspace, b), threshold)
    if as_json:
        _print_json(result.to_dict())
    else:
        console = Console()
        console.print(comparison_table(result))
        for note in result.notes:
            console.print(f"- {note}", markup=False, highlight=False)
        verdict = "REGRESSED" if result.regressed else "OK"
        console.print(f"{verdict}: threshold {threshold * 100:g}%", markup=False)
    if result.regressed:
        raise typer.Exit(1)


@profile_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="Profile name.")],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Delete a profile, its series and its log."""
    Store.open(workspace).profiles.delete(name)
    print(f"deleted profile {name}")
