"""Train the bundled example model: a random forest predicting diabetes progression.

Uses the diabetes data set that scikit-learn ships (442 patients, 10 features), so
nothing is downloaded.  Run: ``python examples/train.py`` -> ``examples/model/model.joblib``;
``python examples/train.py OUT`` saves it to ``OUT`` instead (docs/sweeps.md trains one per
environment that way: a pickle is only good for the scikit-learn version that wrote it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
MODEL_FILE = HERE / "model" / "model.joblib"


def train(target: Path = MODEL_FILE) -> tuple[Path, float]:
    """Fit the pipeline, save it with joblib, return the file and the test R^2."""
    features, labels = load_diabetes(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=0.2, random_state=0
    )
    model = make_pipeline(
        StandardScaler(),
        RandomForestRegressor(n_estimators=100, max_depth=8, random_state=0, n_jobs=1),
    )
    model.fit(x_train, y_train)
    score = float(model.score(x_test, y_test))
    target.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, target)
    return target, score


if __name__ == "__main__":
    path, r2 = train(Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL_FILE)
    shown = path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path
    print(f"saved {shown} (test R^2 {r2:.3f})")
