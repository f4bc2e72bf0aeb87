"""Azure's ``azureml.data.dataset_type_definitions``, for ported imports::

from servesize import dataset_type_definitions
header = dataset_type_definitions.PromoteHeadersBehavior.NO_HEADERS
"""

from servesize.sdk._dataset import PromoteHeadersBehavior

__all__ = ["PromoteHeadersBehavior"]
