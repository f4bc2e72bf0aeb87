"""FastAPI: the bundled scikit-learn forest behind a FastAPI app, started with
``--server-cmd`` — the same model and requests as ``sklearn_forest``, another server."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "zoo_fastapi_forest", Path(__file__).resolve().parents[1] / "sklearn_forest" / "build.py"
)
assert _spec is not None
assert _spec.loader is not None
_forest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_forest)

build = _forest.build
requests = _forest.requests
