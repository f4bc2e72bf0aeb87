"""servesize: profile a model served as a web service, recommend CPU and memory.

The public SDK mirrors Azure ML SDK v1, so notebooks port with an import change::

    from servesize import Dataset, Environment, InferenceConfig, Model, Workspace
"""

__version__ = "0.1.0"

from servesize.errors import ServesizeError
from servesize.sdk import (
    Dataset,
    Environment,
    InferenceConfig,
    Model,
    PromoteHeadersBehavior,
    TabularDataset,
    Workspace,
)

__all__ = [
    "Dataset",
    "Environment",
    "InferenceConfig",
    "Model",
    "PromoteHeadersBehavior",
    "ServesizeError",
    "TabularDataset",
    "Workspace",
    "__version__",
]
