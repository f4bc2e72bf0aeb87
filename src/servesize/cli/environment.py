"""``servesize environment``: register, list and show environments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from servesize.cli._app import (
    DEFAULT_WORKSPACE,
    WorkspaceOption,
    app,
    format_pairs,
    format_time,
    new_table,
    open_store,
    out_console,
    parse_pairs,
    print_json,
)
from servesize.errors import InvalidInputError
from servesize.workspace import EnvironmentRecord, read_conda_specification, read_pip_requirements

__all__ = ["environment_app"]

environment_app = typer.Typer(
    help="Register environments: requirements and variables for the entry script.",
    no_args_is_help=True,
)
app.add_typer(environment_app, name="environment")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@environment_app.command("register")
def register(
    name: Annotated[str, typer.Option("--name", "-n", help="Environment name.")],
    pip_requirements: Annotated[
        Path | None, typer.Option("--pip-requirements", help="A pip requirements file.")
    ] = None,
    conda_file: Annotated[
        Path | None, typer.Option("--conda-file", help="A conda environment YAML file.")
    ] = None,
    env: Annotated[
        list[str] | None, typer.Option("--env", help="KEY=VALUE variable; repeatable.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Register the next version of an environment; prints its id."""
    if (pip_requirements is None) == (conda_file is None):
        raise InvalidInputError("give exactly one of --pip-requirements and --conda-file")
    variables = parse_pairs(env, "--env")
    registry = open_store(workspace).environments
    if pip_requirements is not None:
        pip, spec = read_pip_requirements(pip_requirements)
        record = registry.register(
            name,
            pip_requirements=pip,
            environment_variables=variables,
            description=description,
            spec=spec,
        )
    else:
        assert conda_file is not None
        conda, spec = read_conda_specification(conda_file)
        record = registry.register(
            name,
            conda_dependencies=conda,
            environment_variables=variables,
            description=description,
            spec=spec,
        )
    print(record.id)


@environment_app.command("list")
def list_environments(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Only this name.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List registered environment versions."""
    records = open_store(workspace).environments.list(name)
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    table = new_table("id", "kind", "requirements", "variables", "created")
    for r in records:
        table.add_row(
            r.id,
            _kind(r),
            str(len(r.pip_requirements)),
            format_pairs(r.environment_variables),
            format_time(r.created_time),
        )
    out_console.print(table)


@environment_app.command("show")
def show(
    environment_id: Annotated[
        str, typer.Option("--environment-id", "-i", help="Environment id NAME[:VERSION].")
    ],
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Show one environment version."""
    record = open_store(workspace).environments.get(environment_id)
    if as_json:
        print_json(record.to_dict())
        return
    table = new_table("field", "value")
    table.add_row("id", record.id)
    table.add_row("kind", _kind(record))
    table.add_row("description", record.description or "")
    table.add_row("pip requirements", "\n".join(record.pip_requirements))
    if record.conda_dependencies is not None:
        conda = record.conda_dependencies.get("dependencies") or []
        table.add_row("conda dependencies", "\n".join(str(d) for d in conda if isinstance(d, str)))
    table.add_row(
        "variables", "\n".join(f"{k}={v}" for k, v in record.environment_variables.items())
    )
    table.add_row("created", format_time(record.created_time))
    out_console.print(table)


def _kind(record: EnvironmentRecord) -> str:
    return "conda" if record.conda_dependencies is not None else "pip"
