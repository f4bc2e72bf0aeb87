"""``servesize dataset``: register, list and show datasets of sample requests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from servesize.cli._app import (
    DEFAULT_WORKSPACE,
    WorkspaceOption,
    command_app,
    format_time,
    open_store,
    print_json,
)
from servesize.cli._output import new_table, out_console
from servesize.workspace import read_dataset_file

__all__ = ["dataset_app"]

dataset_app = command_app("dataset")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@dataset_app.command("register")
def register(
    name: Annotated[str, typer.Option("--name", "-n", help="Dataset name.")],
    file: Annotated[Path, typer.Option("--file", "-f", help="The file of requests.")],
    format: Annotated[
        Literal["lines", "jsonl", "csv"],
        typer.Option(
            "--format", help="lines: one body a line; jsonl: one JSON value a line; csv: a column."
        ),
    ] = "lines",
    column: Annotated[
        str | None, typer.Option("--column", help="CSV column (needed with several).")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Register a file of requests as the next version of a dataset; prints its id."""
    rows = read_dataset_file(file, format, column)
    record = open_store(workspace).datasets.register(
        name, rows, description=description, format=format, source=file.name
    )
    print(record.id)


@dataset_app.command("list")
def list_datasets(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Only this name.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List registered dataset versions."""
    records = open_store(workspace).datasets.list(name)
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    table = new_table("id", "rows", "format", "source", "created", "description")
    for r in records:
        table.add_row(
            r.id,
            str(r.row_count),
            r.format,
            r.source or "",
            format_time(r.created_time),
            r.description or "",
        )
    out_console.print(table)


@dataset_app.command("show")
def show(
    dataset_id: Annotated[
        str, typer.Option("--dataset-id", "-i", help="Dataset id NAME[:VERSION].")
    ],
    head: Annotated[int, typer.Option("--head", min=0, help="How many rows to print.")] = 5,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Show a dataset version: its row count and first rows."""
    store = open_store(workspace)
    record = store.datasets.get(dataset_id)
    rows = store.datasets.rows(record.id)[:head]
    if as_json:
        print_json({**record.to_dict(), "head": rows})
        return
    # Plain print: a request body has no spaces to wrap at, rich would break it anywhere.
    source = f", from {record.source}" if record.source else ""
    print(f"{record.id}: {record.row_count} rows ({record.format}{source})")
    if record.description:
        print(record.description)
    for number, row in enumerate(rows, start=1):
        print(f"{number:>4}  {_clip(row)}")
    if record.row_count > len(rows):
        print(f"      ... {record.row_count - len(rows)} more")


def _clip(row: str, width: int = 90) -> str:
    flat = row.replace("\n", "\\n")
    return flat if len(flat) <= width else flat[: width - 3] + "..."
