"""servesize: profile a model served as a web service, recommend CPU and memory.

The public SDK mirrors Azure ML SDK v1, so notebooks port with an import change::

    from servesize import Dataset, Environment, InferenceConfig, Model, Workspace

    profile = Model.profile(ws, "sklearn-1", [model], inference_config, dataset)
    profile.wait_for_completion(show_output=True)
    profile.get_details()["recommendedCpu"]
"""

__version__ = "0.1.0"

import sys

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

# Azure's ``from azureml.data.dataset_type_definitions import ...`` ports as
# ``from servesize.dataset_type_definitions import ...``: register the module there too.
sys.modules[f"{__name__}.dataset_type_definitions"] = dataset_type_definitions

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
