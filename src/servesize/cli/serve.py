"""``servesize serve``: host an Azure ML entry script locally (thin: parse, call, exit)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import typer.main

from servesize.cli._app import DEFAULT_WORKSPACE, WorkspaceOption, command_app, command_help
from servesize.cli._plain import plain_params
from servesize.errors import InvalidInputError

serve_app = command_app("serve")


@serve_app.command(help=command_help("serve"))
def serve(
    entry_script: Annotated[
        Path, typer.Option("--entry-script", help="The score.py with init() and run().")
    ],
    source_directory: Annotated[
        Path | None, typer.Option("--source-directory", help="Added to sys.path.")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option("--model-dir", help="Exported as AZUREML_MODEL_DIR.")
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option("-m", "--model", help="Registered model id (name:version); repeatable."),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: pick a free one, logged).")] = 5001,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: $WORKER_COUNT or 1).")
    ] = None,
    header_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds to receive a request's headers (default 30)."),
    ] = None,
    keep_alive_timeout: Annotated[
        float | None, typer.Option(help="Seconds an idle connection stays open (default 60).")
    ] = None,
    max_connections: Annotated[
        int | None, typer.Option(help="Open connections per worker; more get 503 (default 2048).")
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="One log line per request.")
    ] = False,
    environment: Annotated[
        str | None,
        typer.Option(
            "--environment",
            "-e",
            help="Registered environment NAME[:VERSION]: serve in it (built with uv if needed).",
        ),
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    if models and model_dir is not None:
        raise InvalidInputError("give either --model-dir or -m, not both")
    # The host resolves the defaults ($WORKER_COUNT...) and checks the options itself,
    # with the same one-line errors and exit codes; only what is given is passed on.
    argv = [sys.executable, "-m", "servesize.serving", "--entry-script", str(entry_script)]
    argv += ["--host", host, "--port", str(port)]
    for flag, value in (
        ("--workers", workers),
        ("--header-timeout", header_timeout),
        ("--keep-alive-timeout", keep_alive_timeout),
        ("--max-connections", max_connections),
        ("--source-directory", source_directory),
        ("--model-dir", model_dir),
    ):
        if value is not None:
            argv += [flag, str(value)]
    if access_log:
        argv.append("--access-log")
    if models or environment is not None:
        # Check here what the host would, before registered models are copied out or an
        # environment is built: a mistake must not wait for either. Without them the
        # check is the host's alone (importing the server here would slow every start).
        from servesize.serving import config_from_env

        config = config_from_env(
            entry_script,
            source_directory=source_directory,
            model_dir=model_dir,
            host=host,
            port=port,
            workers=workers,
            header_timeout=header_timeout,
            keep_alive_timeout=keep_alive_timeout,
            max_connections=max_connections,
            access_log=access_log or None,
        )
        config.validate()
        config.script_path()
    if models:
        from servesize.workspace import Store

        tmp = Path(tempfile.mkdtemp(prefix="servesize-models-"))
        try:
            with Store.open(workspace) as store:
                materialized = store.models.materialize(list(models), tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # The host removes the folder when it stops: nothing of this process survives exec.
        argv += ["--model-dir", str(materialized), "--owned-dir", str(tmp)]
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process (typer, rich, the SDK) by the lean host, so `servesize serve`
    # has the footprint and start-up time of `python -m servesize.serving` (issue 9).
    if environment is not None:
        from servesize.sdk import prepare_environment

        built, variables = prepare_environment(workspace, environment)
        env = built.launch_env(os.environ, variables)
        os.execve(built.python, [built.python, *argv[1:]], env)
    os.execv(sys.executable, argv)


def serve_plainly(args: list[str]) -> None:
    """``servesize serve ARGS`` without typer's runtime when ``args`` are plain (see
    ``_plain``): the host is exec'd from here. Returns when typer must parse them."""
    values = plain_params(typer.main.get_command(serve_app), serve, args)
    if values is not None:
        serve(**values)
