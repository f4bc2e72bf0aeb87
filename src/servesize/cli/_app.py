"""The root command and the mapping of library errors to messages and exit codes."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from servesize.errors import InvalidInputError, ServesizeError
from servesize.workspace import DEFAULT_WORKSPACE as DEFAULT_WORKSPACE_PATH

if TYPE_CHECKING:
    from servesize.workspace import Store

app = typer.Typer(
    name="servesize",
    help="Profile a model served as a web service and recommend the CPU and memory to give it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: ``--workspace PATH`` on every command that touches the workspace.
WorkspaceOption = Annotated[
    Path,
    typer.Option(
        "--workspace",
        envvar="SERVESIZE_WORKSPACE",
        help="Workspace directory (created on first write).",
        show_default=True,
    ),
]
DEFAULT_WORKSPACE = DEFAULT_WORKSPACE_PATH

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@app.callback()
def _root() -> None:
    """Profile a model served as a web service and recommend the CPU and memory to give it."""


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the ``typer.Exit`` to raise."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True)
    return typer.Exit(code)


def main() -> None:
    """Console-script entry point: run the app, turn our errors into one line each."""
    try:
        app()
    except ServesizeError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err_console.print(f"error: {message}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("error: interrupted", markup=False)
        sys.exit(130)


@app.command()
def version() -> None:
    """Print the servesize version."""
    from servesize import __version__

    print(__version__)


def open_store(path: Path) -> Store:
    """The workspace store for ``--workspace PATH`` (nothing is created until a write)."""
    from servesize.workspace import Store

    return Store.open(path)


def parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``KEY=VALUE`` options into a dict; a malformed one is a one-line user error."""
    pairs: dict[str, str] = {}
    for value in values or ():
        key, sep, item = value.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{option} expects KEY=VALUE, got {value!r}")
        pairs[key.strip()] = item
    return pairs


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    scaled = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        scaled /= 1024
        if scaled < 1024 or unit == "GiB":
            break
    return f"{scaled:.1f} {unit}"


def print_json(value: object) -> None:
    """Machine-readable output: camelCase keys like Azure's CLI, one JSON document."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def new_table(*columns: str) -> Table:
    """The one table style of the human-readable listings."""
    return Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)


def format_pairs(values: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(values.items()))


def format_time(moment: datetime) -> str:
    """Local time to the second: what a person reading a table wants."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


out_console = Console(highlight=False, soft_wrap=False)
