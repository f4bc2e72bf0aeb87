"""Pin the public surface: a rename here breaks users' notebooks and other packages."""

from __future__ import annotations

import servesize
import servesize.sdk
import servesize.workspace


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
    assert {"ServesizeError", "__version__"} <= set(servesize.__all__)
    assert {"ModelProfile", "ProfileSettings", "compare"} <= set(servesize.__all__)


def test_every_listed_name_exists_once() -> None:
    # The order itself is ruff's (RUF022: constants, classes, then functions).
    for module in (servesize, servesize.sdk, servesize.workspace):
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
