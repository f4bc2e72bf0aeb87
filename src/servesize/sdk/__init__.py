"""The Azure ML SDK v1-shaped API: ``Workspace``, ``Model``, ``Dataset``, ``Datastore``,
``Environment``, ``CondaDependencies``, ``InferenceConfig``.  A notebook ports by changing
its imports to ``from servesize import ...``.  ``ModelProfile``, :func:`profile` (what
``Model.profile`` and ``servesize model profile`` call) and :func:`compare` drive the
procedure of ``servesize.profiling`` and the reports of ``servesize.report``."""

from servesize.profiling import ProfileSettings
from servesize.sdk import dataset_type_definitions
from servesize.sdk._conda import CondaDependencies
from servesize.sdk._dataset import (
    Dataset,
    PromoteHeadersBehavior,
    TabularDataset,
    TabularDatasetFactory,
)
from servesize.sdk._datastore import DataPath, Datastore
from servesize.sdk._environment import Environment
from servesize.sdk._environment_build import (
    build_environment,
    built_environments,
    prepare_environment,
    prune_environments,
)
from servesize.sdk._inference_config import InferenceConfig
from servesize.sdk._model import Model
from servesize.sdk._profile import Details, ModelProfile, compare, profile
from servesize.sdk._workspace import Workspace

__all__ = [
    "CondaDependencies",
    "DataPath",
    "Dataset",
    "Datastore",
    "Details",
    "Environment",
    "InferenceConfig",
    "Model",
    "ModelProfile",
    "ProfileSettings",
    "PromoteHeadersBehavior",
    "TabularDataset",
    "TabularDatasetFactory",
    "Workspace",
    "build_environment",
    "built_environments",
    "compare",
    "dataset_type_definitions",
    "prepare_environment",
    "profile",
    "prune_environments",
]
