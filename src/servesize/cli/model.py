"""``servesize model``: register, list, show, update, download and delete models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
from servesize.workspace import ModelRecord

__all__ = ["model_app"]

model_app = command_app("model")  # model_profile.py adds ``model profile``

IdOption = Annotated[
    str, typer.Option("--model-id", "-i", help="Model id NAME[:VERSION] (no version: the latest).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (Azure's camelCase keys).")]


@model_app.command("register")
def register(
    name: Annotated[str, typer.Option("--name", "-n", help="Model name.")],
    path: Annotated[Path, typer.Option("--path", "-p", help="A model file or folder.")],
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE; repeatable.")] = None,
    prop: Annotated[
        list[str] | None, typer.Option("--property", help="KEY=VALUE; repeatable.")
    ] = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Register a file or folder as the next version of a model; prints its id."""
    tags, properties = parse_pairs(tag, "--tag"), parse_pairs(prop, "--property")
    record = open_store(workspace).models.register(name, path, description, tags, properties)
    print(record.id)


@model_app.command("list")
def list_models(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Only this name.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List registered model versions."""
    records = open_store(workspace).models.list(name)
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    table = new_table("id", "files", "size", "tags", "created", "description")
    for r in records:
        table.add_row(
            r.id,
            str(len(r.files)),
            format_size(r.size),
            format_pairs(r.tags),
            format_time(r.created_time),
            r.description or "",
        )
    out_console.print(table)


@model_app.command("show")
def show(
    model_id: IdOption, as_json: JsonOption = False, workspace: WorkspaceOption = DEFAULT_WORKSPACE
) -> None:
    """Show one model version."""
    _print_model(open_store(workspace).models.get(model_id), as_json)


@model_app.command("update")
def update(
    model_id: IdOption,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help="KEY=VALUE.")] = None,
    add_property: Annotated[
        list[str] | None, typer.Option("--add-property", help="KEY=VALUE (cannot change).")
    ] = None,
    remove_tag: Annotated[list[str] | None, typer.Option("--remove-tag", help="KEY.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Add tags, add properties or remove tags of one model version."""
    record = open_store(workspace).models.update(
        model_id,
        add_tags=parse_pairs(add_tag, "--add-tag"),
        add_properties=parse_pairs(add_property, "--add-property"),
        remove_tags=remove_tag or [],
    )
    _print_model(record, as_json)


@model_app.command("download")
def download(
    model_id: IdOption,
    target_dir: Annotated[Path, typer.Option("--target-dir", "-t", help="Folder to copy into.")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing files.")] = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Copy a model version's file or folder into a folder; prints the path."""
    print(open_store(workspace).models.download(model_id, target_dir, exist_ok=overwrite))


@model_app.command("delete")
def delete(model_id: IdOption, workspace: WorkspaceOption = DEFAULT_WORKSPACE) -> None:
    """Delete one model version (bytes other versions share are kept)."""
    print(f"deleted {open_store(workspace).models.delete(model_id).id}")


def _print_model(record: ModelRecord, as_json: bool) -> None:
    if as_json:
        print_json(record.to_dict())
        return
    table = new_table("field", "value")
    table.add_row("id", record.id)
    table.add_row("description", record.description or "")
    table.add_row("tags", format_pairs(record.tags))
    table.add_row("properties", format_pairs(record.properties))
    table.add_row("created", format_time(record.created_time))
    table.add_row("path", record.path_name + ("/" if record.is_folder else ""))
    table.add_row("files", f"{len(record.files)} ({format_size(record.size)})")
    out_console.print(table)
