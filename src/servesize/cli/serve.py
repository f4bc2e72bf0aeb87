"""``servesize serve``: host an Azure ML entry script locally (thin: parse, call, exit)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from servesize.cli._app import DEFAULT_WORKSPACE, WorkspaceOption, app
from servesize.errors import InitError, InvalidInputError


@app.command()
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
    """Serve an Azure ML entry script until Ctrl-C (init() failure exits with code 3)."""
    from servesize.serving import INIT_FAILED_EXIT_CODE, config_from_env
    from servesize.serving import serve as run_server

    if models and model_dir is not None:
        raise InvalidInputError("give either --model-dir or -m, not both")
    with tempfile.TemporaryDirectory(prefix="servesize-models-") as tmp:
        if models:
            from servesize.workspace import Store

            with Store.open(workspace) as store:
                model_dir = store.models.materialize(list(models), Path(tmp))
        if environment is not None:
            argv = ["--entry-script", str(entry_script), "--host", host, "--port", str(port)]
            if source_directory is not None:
                argv += ["--source-directory", str(source_directory)]
            if model_dir is not None:
                argv += ["--model-dir", str(model_dir)]
            if workers is not None:
                argv += ["--workers", str(workers)]
            from servesize.sdk import serve_in_environment

            raise typer.Exit(serve_in_environment(workspace, environment, argv))
        config = config_from_env(
            entry_script,
            source_directory=source_directory,
            model_dir=model_dir,
            host=host,
            port=port,
            workers=workers,
        )
        try:
            run_server(config)
        except InitError as exc:
            from servesize.cli._app import fail

            raise fail(str(exc), INIT_FAILED_EXIT_CODE) from exc
