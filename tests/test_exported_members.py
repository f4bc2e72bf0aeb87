"""Pin the public surface: a rename here breaks users' notebooks and other packages."""

from __future__ import annotations

from types import ModuleType

import pytest

import servesize
import servesize.deploy
import servesize.environments
import servesize.errors
import servesize.load
import servesize.profiling
import servesize.report
import servesize.sdk
import servesize.serving
import servesize.sweeps
import servesize.workspace

# Each package's public surface, exactly: adding a name is a decision too (update here).
SURFACES: dict[ModuleType, set[str]] = {
    servesize: {
        "CondaDependencies", "DataPath", "Dataset", "Datastore", "Environment",
        "InferenceConfig", "Model", "ModelProfile", "ProfileSettings",
        "PromoteHeadersBehavior", "ServerConfig", "ServesizeError", "TabularDataset",
        "Workspace", "__version__", "compare", "dataset_type_definitions", "sweep",
    },
    servesize.sweeps: {"SweepSpec", "Trial", "read_sweep", "sweep", "sweep_table"},
    servesize.sdk: {
        "CondaDependencies", "DataPath", "Dataset", "Datastore", "Details", "Environment",
        "InferenceConfig", "Model", "ModelProfile", "ProfileSettings",
        "PromoteHeadersBehavior", "ServerConfig", "TabularDataset", "TabularDatasetFactory",
        "Workspace", "build_environment", "built_environments", "compare",
        "dataset_type_definitions", "prepare_environment", "profile", "prune_environments",
    },
    servesize.profiling: {
        "GIB", "MIB", "PHASES", "Cgroup", "CgroupSupport", "CpuPlan", "EnvironmentSpec",
        "ProfileRequest", "ProfileSettings", "ProgressFn", "Sampler", "Service",
        "StartedRun", "check_entry_script", "check_limits", "detect", "launch",
        "missing_requirements", "plan_cpus", "start_run",
        # other service kinds (docs/servers.md)
        "AttachedUrl", "Endpoint", "ServerCommand", "attached_url", "check_server",
        "mlflow_service", "server_command",
    },
    servesize.report: {
        "FORMATS", "Comparison", "ComparisonRow", "ProfileView", "compare",
        "comparison_table", "default_filename", "fmt", "fmt_ms", "k8s_quantities",
        "notebook_html", "parse_threshold", "plan_summary", "print_summary", "render",
        "summary_table", "with_deployment", "write_report",
    },
    servesize.deploy: {
        "PRICE_KEYS", "DeployOptions", "Prices", "Sku", "attach", "azureml_yaml",
        "bundled_skus", "find_sku", "has_plan", "parse_prices", "plan_deployment", "read_skus",
        "reserved_cpu", "reserved_memory_gb",
    },
    servesize.workspace: {
        "DB_FILE", "DEFAULT_WORKSPACE", "FINAL_STATES", "INTERRUPTED", "NAME_PATTERN",
        "PROFILE_STATES", "owner_alive", "this_process",
        "Confirmation", "DatasetFormat", "DatasetRecord", "EnvironmentRecord", "ErrorInfo",
        "Figures", "Machine", "MeasuredRun", "ModelFile", "ModelRecord", "ProfileRecord",
        "RunEnvironment",
        # an autoscaling plan's figures (docs/planning.md)
        "Autoscaling", "PlanConfirmation", "PlanPredicted",
        "Store",
        "Warmup", "default_workspace_path", "figure", "format_id", "parse_id",
        "parse_pip_requirements", "pip_from_conda", "profile_log_file",
        "read_conda_specification", "read_csv_table",
        "read_dataset_file", "read_pip_requirements", "read_text", "rows_from_lines",
        "select_column", "validate_name",
    },
    servesize.environments: {
        "HOST_REPLACES", "HOST_REQUIREMENTS", "BuildSpec", "BuiltEnvironment", "CachedEntry",
        "EnvironmentCache", "available_pythons", "current_environment", "find_python",
        "normalise", "spec_key",
    },
    servesize.load: {
        "Arrival", "Histogram", "LoadResult", "LoadSpec", "Progress", "Trace", "TraceSummary",
        "parse_duration", "read_trace", "run_load", "run_load_async", "split",
    },
    servesize.serving: {
        "DEFAULT_SCORING_TIMEOUT_MS", "INIT_FAILED_EXIT_CODE", "AMLRequest", "AMLResponse",
        "ServerConfig", "config_from_env", "rawhttp", "read_run_errors", "serve",
    },
    servesize.errors: {
        "AlreadyExistsError", "CancelledError", "EntryScriptError", "EnvironmentBuildError",
        "InitError",
        "InvalidInputError", "InvalidNameError", "LimitsError", "LoadGeneratorError",
        "NotFoundError", "ProfileError", "ServesizeError", "ServiceError", "UserError",
    },
}  # fmt: skip


@pytest.mark.parametrize("module", list(SURFACES), ids=[m.__name__ for m in SURFACES])
def test_each_package_exports_exactly_its_surface(module: ModuleType) -> None:
    assert set(module.__all__) == SURFACES[module]


def test_servesize_exports_the_azure_shaped_sdk() -> None:
    for name in (
        "CondaDependencies",
        "DataPath",
        "Dataset",
        "Datastore",
        "Environment",
        "InferenceConfig",
        "Model",
        "ServerConfig",
        "Workspace",
        "dataset_type_definitions",
    ):
        assert name in servesize.__all__
        assert getattr(servesize, name) is getattr(servesize.sdk, name)
    for name in ("ModelProfile", "ProfileSettings", "compare"):
        assert getattr(servesize, name) is getattr(servesize.sdk, name)


def test_every_listed_name_exists_once() -> None:
    # The order itself is ruff's (RUF022: constants, classes, then functions).
    for module in SURFACES:
        assert len(set(module.__all__)) == len(module.__all__), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)


def test_the_store_api_other_packages_code_against() -> None:
    store = servesize.workspace.Store.open("unused-path")
    for registry, methods in {
        store.models: ("register", "get", "list", "update", "delete", "download", "materialize"),
        store.datasets: ("register", "get", "list", "rows"),
        store.environments: ("register", "get", "list"),
        store.profiles: ("create", "update", "get", "list", "delete", "put_series", "get_series"),
    }.items():
        for method in methods:
            assert callable(getattr(registry, method)), method
    assert callable(store.profile_log_path)
