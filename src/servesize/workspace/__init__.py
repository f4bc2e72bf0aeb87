"""The workspace: a SQLite database and a content-addressed artifact store holding the
registries of models, datasets, environments and profiles."""

from servesize.workspace._dataset_files import read_dataset_file
from servesize.workspace._db import DB_FILE
from servesize.workspace._environment_files import (
    pip_from_conda,
    read_conda_specification,
    read_pip_requirements,
)
from servesize.workspace._names import NAME_PATTERN, format_id, parse_id, validate_name
from servesize.workspace._owner import INTERRUPTED, owner_alive, this_process
from servesize.workspace._profiles import PROFILE_STATES
from servesize.workspace._records import (
    DatasetFormat,
    DatasetRecord,
    EnvironmentRecord,
    ModelFile,
    ModelRecord,
    ProfileRecord,
)
from servesize.workspace._store import DEFAULT_WORKSPACE, Store, default_workspace_path

__all__ = [
    "DB_FILE",
    "DEFAULT_WORKSPACE",
    "INTERRUPTED",
    "NAME_PATTERN",
    "PROFILE_STATES",
    "DatasetFormat",
    "DatasetRecord",
    "EnvironmentRecord",
    "ModelFile",
    "ModelRecord",
    "ProfileRecord",
    "Store",
    "default_workspace_path",
    "format_id",
    "owner_alive",
    "parse_id",
    "pip_from_conda",
    "read_conda_specification",
    "read_dataset_file",
    "read_pip_requirements",
    "this_process",
    "validate_name",
]
