"""servesize: profile a model served as a web service, recommend CPU and memory.

The public SDK mirrors Azure ML SDK v1, so notebooks port with an import change::

    from servesize import Dataset, Environment, InferenceConfig, Model, Workspace

    profile = Model.profile(ws, "sklearn-1", [model], inference_config, dataset)
    profile.wait_for_completion(show_output=True)
    profile.get_details()["recommendedCpu"]

The root imports nothing eagerly (PEP 562): the scoring host (``python -m
servesize.serving``) lives inside this package, and every module the root pulled in
would be counted as the *model's* idle memory and start-up time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from servesize.errors import ServesizeError
    from servesize.sdk import (
        CondaDependencies,
        DataPath,
        Dataset,
        Datastore,
        Environment,
        InferenceConfig,
        Model,
        ModelProfile,
        ProfileSettings,
        PromoteHeadersBehavior,
        TabularDataset,
        Workspace,
        compare,
        dataset_type_definitions,
    )
    from servesize.sweeps import sweep

#: Public name -> the module that defines it (imported on first access).
_LAZY: dict[str, str] = {
    "CondaDependencies": "servesize.sdk",
    "DataPath": "servesize.sdk",
    "Dataset": "servesize.sdk",
    "Datastore": "servesize.sdk",
    "Environment": "servesize.sdk",
    "InferenceConfig": "servesize.sdk",
    "Model": "servesize.sdk",
    "ModelProfile": "servesize.sdk",
    "ProfileSettings": "servesize.sdk",
    "PromoteHeadersBehavior": "servesize.sdk",
    "ServesizeError": "servesize.errors",
    "TabularDataset": "servesize.sdk",
    "Workspace": "servesize.sdk",
    "compare": "servesize.sdk",
    "dataset_type_definitions": "servesize.sdk",
    "sweep": "servesize.sweeps",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})


__all__ = [
    "CondaDependencies",
    "DataPath",
    "Dataset",
    "Datastore",
    "Environment",
    "InferenceConfig",
    "Model",
    "ModelProfile",
    "ProfileSettings",
    "PromoteHeadersBehavior",
    "ServesizeError",
    "TabularDataset",
    "Workspace",
    "__version__",
    "compare",
    "dataset_type_definitions",
    "sweep",
]
