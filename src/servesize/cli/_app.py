"""The root command and the mapping of library errors to messages and exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from servesize.errors import ServesizeError

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
DEFAULT_WORKSPACE = Path(".servesize")

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
