"""Azure's ``from azureml.data.dataset_type_definitions import ...`` ports as
``from servesize.dataset_type_definitions import ...``: this name *is* the SDK's module.

A file rather than an eager ``sys.modules`` entry in the package root, so that the
root stays free of imports (the scoring host lives under it).
"""

import sys

from servesize.sdk import dataset_type_definitions as _real
from servesize.sdk.dataset_type_definitions import PromoteHeadersBehavior

__all__ = ["PromoteHeadersBehavior"]

sys.modules[__name__] = _real
