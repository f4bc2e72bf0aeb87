"""``servesize environment``: register, list and show environments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from servesize.cli._app import (
    DEFAULT_WORKSPACE,
    WorkspaceOption,
    command_app,
    format_pairs,
    format_size,
    format_time,
    open_store,
    parse_pairs,
    print_json,
)
from servesize.cli._output import new_table, out_console
from servesize.errors import InvalidInputError
from servesize.sdk import build_environment, built_environments, prune_environments
from servesize.workspace import EnvironmentRecord, read_conda_specification, read_pip_requirements

__all__ = ["environment_app"]

environment_app = command_app("environment")

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
    """List registered environment versions, whether each is built, and its size."""
    store = open_store(workspace)
    records = store.environments.list(name)
    built = {row["id"]: row for row in built_environments(store)}
    if as_json:
        print_json([{**r.to_dict(), **_build_fields(built.get(r.id))} for r in records])
        return
    table = new_table("id", "kind", "requirements", "variables", "built", "size", "created")
    for r in records:
        row = built.get(r.id) or {}
        table.add_row(
            r.id,
            _kind(r),
            str(len(r.pip_requirements)),
            format_pairs(r.environment_variables),
            _built_text(row),
            _size_text(row.get("sizeBytes")),
            format_time(r.created_time),
        )
    if name is None:  # built environments no registered version maps to
        for key, row in built.items():
            if key.startswith("("):
                table.add_row(key, "", "", "", "built", _size_text(row["sizeBytes"]), "")
    out_console.print(table)


@environment_app.command("build")
def build(
    environment_id: Annotated[str, typer.Argument(help="Environment id NAME[:VERSION].")],
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Build a registered environment with uv (or find it in the workspace's cache)."""
    details = build_environment(open_store(workspace), environment_id)
    if as_json:
        print_json(details)
        return
    how = "cached" if details["cached"] else f"built in {details['buildSeconds']:.1f} s"
    print(
        f"{details['id']}: {how}, Python {details['pythonVersion']}, "
        f"{len(details['packages'])} packages, {details['path']}"
    )


@environment_app.command("prune")
def prune(
    everything: Annotated[
        bool, typer.Option("--all", help="Remove every built environment, registered or not.")
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Remove built environments no registered version uses, and interrupted builds."""
    result = prune_environments(open_store(workspace), everything=everything)
    if as_json:
        print_json(result)
        return
    print(
        f"removed {len(result['removed'])} environment(s), {_size_text(result['freedBytes'])}"
        f"; {result['leftoversRemoved']} interrupted build(s) cleaned"
        + (f"; busy (being built): {', '.join(result['busy'])}" if result["busy"] else "")
    )


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


def _build_fields(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {
        "built": row.get("built", False),
        "cacheKey": row.get("cacheKey"),
        "sizeBytes": row.get("sizeBytes"),
        "note": row.get("note") or None,
    }


def _built_text(row: dict[str, Any]) -> str:
    note = str(row.get("note") or "")
    if note.startswith("user-managed"):
        return "user-managed"
    if note and not row.get("built"):
        return "cannot build (see `environment build`)"
    return "built" if row.get("built") else "not built"


def _size_text(size: int | None) -> str:
    return "" if size is None else format_size(size)


def _kind(record: EnvironmentRecord) -> str:
    return "conda" if record.conda_dependencies is not None else "pip"
