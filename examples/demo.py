"""The demo ``make demo`` runs: register the bundled example and list the workspace.

Written as an Azure ML SDK v1 notebook would be, with ``servesize`` imports.  The
workspace is ``$SERVESIZE_WORKSPACE`` or ``./.servesize``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from servesize import (
    Dataset,
    Environment,
    InferenceConfig,
    Model,
    PromoteHeadersBehavior,
    ServesizeError,
    Workspace,
)

HERE = Path(__file__).resolve().parent
MODEL_FILE = HERE / "model" / "model.joblib"
REQUESTS = HERE / "sample-requests.txt"
REQUIREMENTS = HERE / "requirements.txt"


def ensure_model() -> Path:
    """Train the example model once (a few seconds; nothing is downloaded)."""
    if not MODEL_FILE.is_file():
        from train import train

        path, r2 = train(MODEL_FILE)
        print(f"trained {path.name} (test R^2 {r2:.3f})")
    return MODEL_FILE


def prepare(workspace: Workspace) -> tuple[list[str], str, InferenceConfig]:
    """Register the model, the sample requests and the environment; return what a
    profile needs: the model ids, the dataset id and the inference config."""
    model = Model.register(
        workspace,
        model_path=ensure_model(),
        model_name="diabetes-forest",
        tags={"framework": "scikit-learn", "dataset": "sklearn diabetes"},
        description="Random forest predicting diabetes progression (10 features)",
    )
    dataset = Dataset.Tabular.from_delimited_files(
        REQUESTS, separator="\n", header=PromoteHeadersBehavior.NO_HEADERS
    ).register(workspace, "diabetes-requests", create_new_version=True)
    environment = Environment.from_pip_requirements("diabetes-sklearn", REQUIREMENTS)
    environment.environment_variables["OMP_NUM_THREADS"] = "1"
    environment = environment.register(workspace)
    config = InferenceConfig(
        entry_script="score.py", source_directory=str(HERE), environment=environment
    )
    assert dataset.id is not None
    return [model.id], dataset.id, config


def summarize(workspace: Workspace) -> None:
    print(f"workspace {workspace.path}")
    for model in Model.list(workspace, latest=True):
        print(f"  model        {model.id:<24} {model.description or ''}")
    for dataset in Dataset.get_all(workspace).values():
        print(f"  dataset      {dataset.id or '':<24} {len(dataset)} requests")
    for env in Environment.list(workspace).values():
        print(f"  environment  {env.id or env.name:<24} {', '.join(env.pip_requirements)}")


def main() -> int:
    workspace = Workspace(os.environ.get("SERVESIZE_WORKSPACE") or ".servesize")
    try:
        model_ids, dataset_id, config = prepare(workspace)
    except ServesizeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"registered {', '.join(model_ids)}, {dataset_id}, entry script {config.entry_script}")
    summarize(workspace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
