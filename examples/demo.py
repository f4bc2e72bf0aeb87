"""The demo ``make demo`` runs: register the bundled example, profile it, write the report.

Written as an Azure ML SDK v1 notebook would be, with ``servesize`` imports.  The
workspace is ``$SERVESIZE_WORKSPACE`` or ``./.servesize``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from servesize import (
    Dataset,
    Environment,
    InferenceConfig,
    Model,
    PromoteHeadersBehavior,
    ServesizeError,
    Workspace,
)
from servesize.sdk import build_environment

HERE = Path(__file__).resolve().parent
MODEL_FILE = HERE / "model" / "model.joblib"
REQUESTS = HERE / "sample-requests.txt"
REQUIREMENTS = HERE / "requirements.txt"


def ensure_model(workspace: Workspace, environment_id: str) -> Path:
    """Train the example model once, in the environment it will be served from (the
    pinned scikit-learn: a pickle is only good for the version that wrote it). The
    first run builds that environment with uv; later runs find it built, offline too."""
    if not MODEL_FILE.is_file():
        built = build_environment(workspace, environment_id)
        how = "found built" if built["cached"] else f"built in {built['buildSeconds']:.1f} s"
        print(f"environment {environment_id} {how}: Python {built['pythonVersion']}")
        python = Path(built["path"]) / "bin" / "python"
        subprocess.run([str(python), str(HERE / "train.py")], check=True)
    return MODEL_FILE


def prepare(workspace: Workspace) -> tuple[list[str], str, InferenceConfig]:
    """Register the model, the sample requests and the environment; return what a
    profile needs: the model ids, the dataset id and the inference config."""
    environment = Environment.from_pip_requirements("diabetes-sklearn", REQUIREMENTS)
    environment.environment_variables["OMP_NUM_THREADS"] = "1"
    environment = environment.register(workspace)
    assert environment.id is not None
    model = Model.register(
        workspace,
        model_path=ensure_model(workspace, environment.id),
        model_name="diabetes-forest",
        tags={"framework": "scikit-learn", "dataset": "sklearn diabetes"},
        description="Random forest predicting diabetes progression (10 features)",
    )
    dataset = Dataset.Tabular.from_delimited_files(
        REQUESTS, separator="\n", header=PromoteHeadersBehavior.NO_HEADERS
    ).register(workspace, "diabetes-requests", create_new_version=True)
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


def profile(
    workspace: Workspace, model_ids: list[str], dataset_id: str, config: InferenceConfig
) -> int:
    """Profile the model with the default settings, show the result, write the report."""
    from servesize.report import ProfileView, print_summary

    name = "diabetes-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    started = time.monotonic()
    models = [Model(workspace, id=model_id) for model_id in model_ids]
    name_, _, version = dataset_id.partition(":")
    dataset = Dataset.get_by_name(workspace, name_, version=version or "latest")
    result = Model.profile(workspace, name, models, config, dataset, description="make demo")
    try:
        state = result.wait_for_completion(show_output=True)
    except KeyboardInterrupt:
        result.cancel()
        state = result.wait_for_completion()
    seconds = time.monotonic() - started
    print_summary(ProfileView.from_store(workspace.store, name), Console())
    report = result.report(Path(workspace.path) / "reports" / f"{name}.html")
    print(f"profile {name}: {state} in {seconds:.0f} s")
    print(f"report: {report.resolve()}")
    return 0 if state == "Succeeded" else 1


def main() -> int:
    workspace = Workspace(os.environ.get("SERVESIZE_WORKSPACE") or ".servesize")
    try:
        model_ids, dataset_id, config = prepare(workspace)
        print(
            f"registered {', '.join(model_ids)}, {dataset_id}, entry script {config.entry_script}"
        )
        summarize(workspace)
        return profile(workspace, model_ids, dataset_id, config)
    except ServesizeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
