"""MLflow: a scikit-learn gradient-boosting model on the diabetes data, saved as an
MLflow model (flavors python_function + sklearn, with its signature).

``build(out)`` writes the MLflow model folder ``out/diabetes-mlflow``; profiling it
needs no entry script.  ``requests`` makes ``{"dataframe_split": ...}`` bodies, the
format ``mlflow models serve`` takes.
"""

from __future__ import annotations

import json
import random
import shutil
import warnings
from pathlib import Path

from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor


def build(out: Path) -> Path:
    with warnings.catch_warnings():
        # MLflow warns about its own type hints on import: nothing the user can act on
        warnings.simplefilter("ignore")
        import mlflow.sklearn
        from mlflow.models import infer_signature

    features, labels = load_diabetes(return_X_y=True, as_frame=True)
    model = GradientBoostingRegressor(n_estimators=200, max_depth=3, random_state=0)
    model.fit(features, labels)
    folder = out / "diabetes-mlflow"
    if folder.exists():
        shutil.rmtree(folder)
    out.mkdir(parents=True, exist_ok=True)
    # cloudpickle: the skops format needs a package MLflow does not install
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cloudpickle caution, said in the comment above
        mlflow.sklearn.save_model(
            model,
            str(folder),
            signature=infer_signature(features, model.predict(features)),
            serialization_format="cloudpickle",
        )
    return folder


def requests(count: int = 100, seed: int = 7) -> list[str]:
    frame = load_diabetes(as_frame=True).data
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        picks = [rng.randrange(len(frame)) for _ in range(8)]
        rows = frame.iloc[picks].round(6).values.tolist()
        split = {"columns": list(frame.columns), "data": rows}
        bodies.append(json.dumps({"dataframe_split": split}, separators=(",", ":")))
    return bodies
