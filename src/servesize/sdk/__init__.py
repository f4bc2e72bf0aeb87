"""The Azure ML SDK v1-shaped API: ``Workspace``, ``Model``, ``Dataset``, ``Environment``,
``InferenceConfig``.  A notebook ports by changing its imports to ``from servesize import ...``."""

from servesize.sdk._dataset import (
    Dataset,
    PromoteHeadersBehavior,
    TabularDataset,
    TabularDatasetFactory,
)
from servesize.sdk._environment import Environment
from servesize.sdk._inference_config import InferenceConfig
from servesize.sdk._model import Model
from servesize.sdk._workspace import Workspace

__all__ = [
    "Dataset",
    "Environment",
    "InferenceConfig",
    "Model",
    "PromoteHeadersBehavior",
    "TabularDataset",
    "TabularDatasetFactory",
    "Workspace",
]
