"""The workspace: a SQLite database and a content-addressed artifact store holding the
registries of models, datasets, environments and profiles.

Names are imported from their module when first used (PEP 562), as the root package
does: the command line declares ``--workspace`` with :data:`DEFAULT_WORKSPACE` on every
command, and ``servesize serve`` must not load SQLite, the registries and the figures
(50 ms on a 2-core machine) before it execs the scoring host.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from servesize.workspace._dataset_files import (
        read_csv_table,
        read_dataset_file,
        read_text,
        rows_from_lines,
        select_column,
    )
    from servesize.workspace._db import DB_FILE
    from servesize.workspace._environment_files import (
        parse_pip_requirements,
        pip_from_conda,
        read_conda_specification,
        read_pip_requirements,
    )
    from servesize.workspace._figures import (
        Autoscaling,
        Confirmation,
        ErrorInfo,
        Figures,
        Machine,
        MeasuredRun,
        PlanConfirmation,
        PlanPredicted,
        RunEnvironment,
        Warmup,
        figure,
    )
    from servesize.workspace._location import DEFAULT_WORKSPACE, default_workspace_path
    from servesize.workspace._names import NAME_PATTERN, format_id, parse_id, validate_name
    from servesize.workspace._owner import INTERRUPTED, owner_alive, this_process
    from servesize.workspace._profiles import FINAL_STATES, PROFILE_STATES
    from servesize.workspace._records import (
        DatasetFormat,
        DatasetRecord,
        EnvironmentRecord,
        ModelFile,
        ModelRecord,
        ProfileRecord,
    )
    from servesize.workspace._store import Store, profile_log_file

#: Module (below this package) -> the public names it defines.
_MODULES: dict[str, tuple[str, ...]] = {
    "_dataset_files": (
        "read_csv_table",
        "read_dataset_file",
        "read_text",
        "rows_from_lines",
        "select_column",
    ),
    "_db": ("DB_FILE",),
    "_environment_files": (
        "parse_pip_requirements",
        "pip_from_conda",
        "read_conda_specification",
        "read_pip_requirements",
    ),
    "_figures": (
        "Autoscaling",
        "Confirmation",
        "ErrorInfo",
        "Figures",
        "Machine",
        "MeasuredRun",
        "PlanConfirmation",
        "PlanPredicted",
        "RunEnvironment",
        "Warmup",
        "figure",
    ),
    "_location": ("DEFAULT_WORKSPACE", "default_workspace_path"),
    "_names": ("NAME_PATTERN", "format_id", "parse_id", "validate_name"),
    "_owner": ("INTERRUPTED", "owner_alive", "this_process"),
    "_profiles": ("FINAL_STATES", "PROFILE_STATES"),
    "_records": (
        "DatasetFormat",
        "DatasetRecord",
        "EnvironmentRecord",
        "ModelFile",
        "ModelRecord",
        "ProfileRecord",
    ),
    "_store": ("Store", "profile_log_file"),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})


__all__ = [
    "DB_FILE",
    "DEFAULT_WORKSPACE",
    "FINAL_STATES",
    "INTERRUPTED",
    "NAME_PATTERN",
    "PROFILE_STATES",
    "Autoscaling",
    "Confirmation",
    "DatasetFormat",
    "DatasetRecord",
    "EnvironmentRecord",
    "ErrorInfo",
    "Figures",
    "Machine",
    "MeasuredRun",
    "ModelFile",
    "ModelRecord",
    "PlanConfirmation",
    "PlanPredicted",
    "ProfileRecord",
    "RunEnvironment",
    "Store",
    "Warmup",
    "default_workspace_path",
    "figure",
    "format_id",
    "owner_alive",
    "parse_id",
    "parse_pip_requirements",
    "pip_from_conda",
    "profile_log_file",
    "read_conda_specification",
    "read_csv_table",
    "read_dataset_file",
    "read_pip_requirements",
    "read_text",
    "rows_from_lines",
    "select_column",
    "this_process",
    "validate_name",
]
