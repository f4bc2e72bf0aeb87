"""The root command and the mapping of library errors to messages and exit codes.

The commands' modules are imported only when their command runs (:class:`_LazyRoot`):
``servesize serve`` execs the lean scoring host, and importing every command (the SDK,
the profiler, numpy) first would make it slower to be ready.  :data:`COMMANDS` names
each command's module and its one-line help, so ``servesize --help`` lists them all
without importing any.  For the same reason this module imports neither rich (the
consoles and tables are in ``_output``, imported on first print or error) nor the
workspace's registries: ``servesize serve`` reaches its exec with typer alone.
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core
import typer.main

from servesize.errors import InvalidInputError, ServesizeError
from servesize.workspace import DEFAULT_WORKSPACE as DEFAULT_WORKSPACE_PATH

if TYPE_CHECKING:
    # typer vendors click (0.2x): its groups take these, not the ``click`` package's
    from typer._click import Command as ClickCommand
    from typer._click import Context, HelpFormatter

    from servesize.workspace import Store


@dataclass(frozen=True)
class Command:
    """A command defined in ``servesize.cli.<modules[0]>`` as the Typer ``typer``
    (the later modules add to it)."""

    modules: tuple[str, ...]
    typer: str
    help: str


#: The root's commands besides ``version``, in the order ``--help`` lists them.
COMMANDS = {
    "loadtest": Command(
        ("loadtest",),
        "loadtest_app",
        "Send the rows round-robin at a rate (open loop) or concurrency (closed loop).",
    ),
    "serve": Command(
        ("serve",),
        "serve_app",
        "Serve an Azure ML entry script until Ctrl-C (init() failure exits with code 3).",
    ),
    "dataset": Command(
        ("dataset",),
        "dataset_app",
        "Register datasets of sample requests (one request body a row).",
    ),
    "environment": Command(
        ("environment",),
        "environment_app",
        "Register, build and prune environments: what the entry script runs in.",
    ),
    "model": Command(("model", "model_profile"), "model_app", "Register and manage models."),
    "profile": Command(("profile",), "profile_app", "Inspect, report and compare stored profiles."),
    "sweep": Command(
        ("sweep",),
        "sweep_app",
        "Run many profiles from one YAML file, locally or on a Ray cluster.",
    ),
}


def command_app(name: str) -> typer.Typer:
    """The Typer of command ``name`` of :data:`COMMANDS`, its help taken from there."""
    return typer.Typer(
        name=name, help=COMMANDS[name].help, no_args_is_help=True, add_completion=False
    )


def command_help(name: str) -> str:
    """The help of a one-command Typer's command (``@x_app.command(help=...)``)."""
    return COMMANDS[name].help


class _Commands(MutableMapping[str, "ClickCommand"]):
    """The root's commands: those of :data:`COMMANDS` are built when first looked up
    (importing their modules), or stand in by name and help while ``--help`` is written.
    Every name is a key from the start, so a typo is still told the nearest command."""

    def __init__(self, built: Mapping[str, ClickCommand]) -> None:
        self._built = dict(built)
        self.stand_ins = False

    def __getitem__(self, name: str) -> ClickCommand:
        if name in self._built:
            return self._built[name]
        lazy = COMMANDS[name]
        if self.stand_ins:
            return typer.core.TyperCommand(name, help=lazy.help)
        for module in lazy.modules:
            importlib.import_module(f"servesize.cli.{module}")
        command = typer.main.get_command(
            getattr(sys.modules[f"servesize.cli.{lazy.modules[0]}"], lazy.typer)
        )
        command.name = name
        self._built[name] = command
        return command

    def __iter__(self) -> Iterator[str]:
        yield from (name for name in self._built if name not in COMMANDS)
        yield from COMMANDS

    def __len__(self) -> int:
        return len(self._built.keys() | COMMANDS.keys())

    def __setitem__(self, name: str, command: ClickCommand) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]


class _LazyRoot(typer.core.TyperGroup):
    """The root group, its commands a :class:`_Commands`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = self.lazy = _Commands(self.commands)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)  # names only: TyperGroup's would build every command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self.lazy.stand_ins = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.lazy.stand_ins = False


app = typer.Typer(
    name="servesize",
    help="Profile a model served as a web service and recommend the CPU and memory to give it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_LazyRoot,
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


@app.callback()
def _root() -> None:
    """Profile a model served as a web service and recommend the CPU and memory to give it."""


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the ``typer.Exit`` to raise."""
    from servesize.cli._output import err_console

    err_console.print(f"[bold red]error:[/] {message}", markup=True)
    return typer.Exit(code)


def _take_ctrl_c() -> None:
    """Make Ctrl-C (SIGINT) interrupt this process however it was started.

    Python keeps SIGINT ignored when the process starts with it ignored (a background
    job of a non-interactive shell, or a child of such a job: a test runner started that
    way) and never unblocks it when it starts blocked (spawned from a thread that
    masked it, as multiprocessing's and Ray's launchers do). Either way a stalled build
    or a profile would not stop on Ctrl-C. The children we start (uv, the host) inherit
    the same: SIGINT delivered, its default action.
    """
    if hasattr(signal, "pthread_sigmask"):  # POSIX
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main() -> None:
    """Console-script entry point: run the app, turn our errors into one line each."""
    _take_ctrl_c()
    try:
        if sys.argv[1:2] == ["serve"]:  # execs the host, unless typer must read the options
            from servesize.cli.serve import serve_plainly

            serve_plainly(sys.argv[2:])
        app()
    except ServesizeError as exc:
        from servesize.cli._output import err_console

        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err_console.print(f"error: {message}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        from servesize.cli._output import err_console

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


def format_pairs(values: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(values.items()))


def format_time(moment: datetime) -> str:
    """Local time to the second: what a person reading a table wants."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
