"""The one place the sweep calls the profiler: its public entry, nothing private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from servesize.profiling.model_profile import FINAL_STATES, ModelProfile
from servesize.sdk import Model

if TYPE_CHECKING:
    from servesize.sweeps._spec import Trial
    from servesize.sweeps._trial import TrialInputs
    from servesize.workspace import Store

__all__ = ["FINAL_STATES", "ModelProfile", "start_profile"]


def start_profile(store: Store, trial: Trial, inputs: TrialInputs) -> ModelProfile:
    """``Model.profile`` with the trial's limits and settings; returns at once."""
    handle: ModelProfile = Model.profile(
        store,
        trial.name,
        list(inputs.models),
        inputs.inference_config,
        inputs.dataset,
        cpu=trial.cpu,
        memory_in_gb=trial.memory_in_gb,
        description=trial.description,
        **trial.settings,
    )
    return handle
