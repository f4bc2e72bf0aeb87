"""Building, listing and pruning the workspace's built environments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servesize.environments import BuildSpec, BuiltEnvironment, EnvironmentCache
from servesize.errors import EnvironmentBuildError, ServesizeError
from servesize.sdk._workspace import Workspace, store_of
from servesize.workspace import EnvironmentRecord, Store

__all__ = [
    "build_environment",
    "built_environments",
    "environment_cache",
    "prepare_environment",
    "prune_environments",
]

WorkspaceLike = Workspace | Store | str | Path


def environment_cache(workspace: WorkspaceLike) -> EnvironmentCache:
    return EnvironmentCache(store_of(workspace).root / "envs")


def spec_of(record: EnvironmentRecord) -> BuildSpec:
    return BuildSpec.from_parts(
        record.name,
        record.version,
        record.pip_requirements,
        record.conda_dependencies,
        record.user_managed,
    )


def prepare_environment(
    workspace: WorkspaceLike, environment_id: str
) -> tuple[BuiltEnvironment, dict[str, str]]:
    """A registered environment, built unless cached (the current interpreter when its
    dependencies are user-managed), and its environment variables."""
    record = store_of(workspace).environments.get(environment_id)
    built = environment_cache(workspace).prepare(spec_of(record))
    return built, dict(record.environment_variables)


def build_environment(workspace: WorkspaceLike, environment_id: str) -> dict[str, Any]:
    """Build a registered environment (``NAME[:VERSION]``) unless it is cached; return
    its ``environment`` figure (what a profile records)."""
    record = store_of(workspace).environments.get(environment_id)
    spec = spec_of(record)
    if spec.user_managed:
        raise EnvironmentBuildError(
            f"{record.id} has user-managed dependencies: nothing to build (profiles use "
            "the current Python)"
        )
    built = environment_cache(workspace).prepare(spec)
    return {"id": record.id, **built.details(), "path": str(built.path)}


def built_environments(workspace: WorkspaceLike) -> list[dict[str, Any]]:
    """Each registered environment version with whether it is built and its size, then
    built environments no registered version maps to (inline ones)."""
    cache = environment_cache(workspace)
    entries = {entry.key: entry for entry in cache.entries()}
    rows: list[dict[str, Any]] = []
    for record in store_of(workspace).environments.list():
        row: dict[str, Any] = {"id": record.id, "cacheKey": None, "built": False}
        row.update(sizeBytes=None, pythonVersion=None, note="")
        try:
            spec = spec_of(record)
            if spec.user_managed:
                row["note"] = "user-managed: runs with the current Python"
            else:
                key, _path, version = cache.key(spec)
                entry = entries.pop(key, None)
                row.update(cacheKey=key, pythonVersion=version, built=entry is not None)
                row["sizeBytes"] = entry.size_bytes if entry else None
        except ServesizeError as exc:  # a conda-only package, a Python not here
            row["note"] = str(exc)
        rows.append(row)
    for key, entry in entries.items():
        meta = entry.metadata
        label = meta.get("name") or "inline"
        rows.append(
            {
                "id": f"({label})",
                "cacheKey": key,
                "built": True,
                "sizeBytes": entry.size_bytes,
                "pythonVersion": meta.get("pythonVersion"),
                "note": "no registered version maps to it",
            }
        )
    return rows


def prune_environments(workspace: WorkspaceLike, everything: bool = False) -> dict[str, Any]:
    """Remove built environments that no registered version maps to (all of them with
    ``everything``) and the remains of interrupted builds; one being built is kept."""
    cache = environment_cache(workspace)
    keep = set()
    if not everything:
        rows = built_environments(workspace)
        keep = {r["cacheKey"] for r in rows if r["built"] and not r["id"].startswith("(")}
    removed: list[str] = []
    freed = 0
    busy: list[str] = []
    for entry in cache.entries():
        if entry.key in keep:
            continue
        if cache.remove(entry.key):
            removed.append(entry.key)
            freed += entry.size_bytes
        else:
            busy.append(entry.key)
    leftovers = cache.clean_leftovers()
    return {"removed": removed, "freedBytes": freed, "busy": busy, "leftoversRemoved": leftovers}
