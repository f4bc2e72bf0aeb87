"""``servesize sweep``: run a sweep file's trials (here or on Ray) and show their table."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from servesize.cli._app import DEFAULT_WORKSPACE, WorkspaceOption, command_app, print_json
from servesize.cli._output import err_console, new_table, out_console

__all__ = ["sweep_app"]

sweep_app = command_app("sweep")

FileArgument = Annotated[Path, typer.Argument(help="The sweep file (YAML).")]


@sweep_app.command("run")
def run_command(
    file: FileArgument,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", help="Run on Ray: 'auto', 'ray://HOST:10001' or 'HOST:6379'."
        ),
    ] = None,
    max_parallel: Annotated[
        int | None, typer.Option("--max-parallel", help="At most N trials at once on Ray.")
    ] = None,
    rerun: Annotated[
        bool, typer.Option("--rerun", help="Run trials that already Succeeded again.")
    ] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Run every trial of FILE; each becomes a stored profile under its name."""
    from servesize.sweeps import sweep, sweep_table
    from servesize.workspace import Store

    def event(name: str, state: str) -> None:
        err_console.print(f"{name}: {state}", markup=False)

    store = Store.open(workspace)
    # SIGTERM ends the sweep like Ctrl-C: every trial cancelled, nothing left running
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        sweep(store, file, ray_address, max_parallel=max_parallel, rerun=rerun, on_event=event)
    except KeyboardInterrupt:
        err_console.print("interrupted: the running trials were cancelled", markup=False)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    rows = sweep_table(store, file)
    _print_table(rows)
    if any(row["state"] != "Succeeded" for row in rows):
        raise typer.Exit(9)


@sweep_app.command("show")
def show_command(
    file: FileArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """The table of FILE's trials: state, verdict, recommendation, sloMet, p99, node."""
    from servesize.sweeps import sweep_table
    from servesize.workspace import Store

    rows = sweep_table(Store.open(workspace), file)
    if as_json:
        print_json(rows)
    else:
        _print_table(rows)


def _print_table(rows: list[dict[str, Any]]) -> None:
    table = new_table("trial", "state", "verdict", "cpu", "memory GB", "sloMet", "p99 ms", "node")
    for row in rows:
        table.add_row(
            row["name"],
            row["state"] or "",
            row["validity"] or "",
            _text(row["recommendedCpu"]),
            _text(row["recommendedMemoryInGB"]),
            _text(row["sloMet"]),
            _text(row["latencyPercentile99InMs"]),
            row["node"] or "",
        )
    out_console.print(table)
    for row in rows:
        if row["error"] and row["state"] != "Succeeded":
            err_console.print(f"{row['name']}: {row['error'].splitlines()[0]}", markup=False)


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
