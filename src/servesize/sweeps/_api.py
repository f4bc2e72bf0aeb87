"""The one place the sweep calls the profiler: the SDK's public entry, nothing private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from servesize.sdk import ModelProfile, profile
from servesize.workspace import FINAL_STATES

if TYPE_CHECKING:
    from servesize.sweeps._spec import Trial
    from servesize.sweeps._trial import TrialInputs
    from servesize.workspace import Store

__all__ = ["FINAL_STATES", "ModelProfile", "start_profile"]


def start_profile(store: Store, trial: Trial, inputs: TrialInputs) -> ModelProfile:
    """``servesize.sdk.profile`` with the trial's limits and settings; returns at once."""
    return profile(
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
