"""The workspace: a SQLite database and a content-addressed artifact store holding the
registries of models, datasets, environments and profiles."""

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
from servesize.workspace._store import (
    DEFAULT_WORKSPACE,
    Store,
    default_workspace_path,
    profile_log_file,
)

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
