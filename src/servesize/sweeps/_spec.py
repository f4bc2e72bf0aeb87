"""The sweep file: ``defaults`` plus a list of ``trials``, each one profile to run.

Example (paths are relative to the sweep file's folder)::

    defaults:
      dataset: requests          # name or name:version
      qps: 20
      cpu: 1.0
      memory_in_gb: 1
      duration: 10
    trials:
      - name: forest-small
        model: diabetes-forest
        inference_config: inference-config.json
      - name: forest-half-core
        model: diabetes-forest
        entry_script: score.py
        cpu: 0.5

A trial is ``defaults`` overridden by the trial's own keys.  Keys other than the ones
below are profile settings (``ProfileSettings`` fields), checked here so a typo fails
before anything runs.  ``environment`` (a registered environment id) is what the entry
script runs in; with ``inference_config`` it replaces the file's environment, so trials
that differ only in it measure what a library version costs (docs/sweeps.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from servesize.errors import InvalidInputError, NotFoundError, ServesizeError
from servesize.load import parse_duration
from servesize.profiling import ProfileSettings
from servesize.workspace import parse_id, validate_name

__all__ = ["SweepSpec", "Trial", "read_sweep"]

#: Keys of a trial that are not profile settings.
_TRIAL_KEYS = frozenset(
    {
        "name",
        "model",
        "models",
        "dataset",
        "inference_config",
        "entry_script",
        "source_directory",
        "environment",
        "cpu",
        "memory_in_gb",
        "description",
        "duration",
    }
)


@dataclass(frozen=True)
class Trial:
    """One profile of the sweep, resolved to plain values (paths absolute)."""

    name: str
    models: tuple[str, ...]
    dataset: str
    inference_config: Path | None = None
    entry_script: Path | None = None
    source_directory: Path | None = None
    environment: str | None = None
    cpu: float | None = None
    memory_in_gb: float | None = None
    description: str | None = None
    #: ``ProfileSettings`` keyword arguments (already checked)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SweepSpec:
    path: Path
    trials: tuple[Trial, ...]


def read_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file; every mistake is one line naming the file and trial."""
    file = Path(path)
    if not file.is_file():
        raise NotFoundError(f"sweep file not found: {file}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InvalidInputError(f"{file}: not valid YAML{where}: {problem}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{file}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{file}: expected a mapping with 'defaults' and 'trials'")
    unknown = sorted(set(map(str, data)) - {"defaults", "trials"})
    if unknown:
        raise InvalidInputError(
            f"{file}: unknown top-level key(s) {', '.join(unknown)} (known: defaults, trials)"
        )
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InvalidInputError(f"{file}: 'defaults' must be a mapping")
    if "name" in defaults:
        raise InvalidInputError(f"{file}: 'name' belongs to each trial, not to 'defaults'")
    entries = data.get("trials")
    if not isinstance(entries, list) or not entries:
        raise InvalidInputError(f"{file}: 'trials' must be a non-empty list")
    trials: list[Trial] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise InvalidInputError(f"{file}: trial #{index} must be a mapping")
        label = f"trial {entry.get('name')!r}" if entry.get("name") else f"trial #{index}"
        try:
            trial = _trial({**defaults, **entry}, file.resolve().parent)
        except ServesizeError as exc:
            raise type(exc)(f"{file}: {label}: {exc}") from exc
        if trial.name in seen:
            raise InvalidInputError(f"{file}: two trials are named {trial.name!r}")
        seen.add(trial.name)
        trials.append(trial)
    return SweepSpec(path=file, trials=tuple(trials))


def _trial(values: dict[str, Any], folder: Path) -> Trial:
    name = values.get("name")
    if not isinstance(name, str):
        raise InvalidInputError("'name' is missing or not a string")
    validate_name(name, "trial name")
    models = values.get("models", values.get("model"))
    if "model" in values and "models" in values:
        raise InvalidInputError("give 'model' or 'models', not both")
    model_ids = (models,) if isinstance(models, str) else models
    if not isinstance(model_ids, list | tuple) or not model_ids:
        raise InvalidInputError("'model' (a registered model, name or name:version) is missing")
    dataset = values.get("dataset")
    if not isinstance(dataset, str):
        raise InvalidInputError("'dataset' (a registered dataset, name or name:version) is missing")
    config, entry = values.get("inference_config"), values.get("entry_script")
    if (config is None) == (entry is None):
        raise InvalidInputError("give exactly one of 'inference_config' or 'entry_script'")
    settings = {k: v for k, v in values.items() if k not in _TRIAL_KEYS}
    if "duration" in values:
        settings["min_duration"] = _seconds(values["duration"])
    ProfileSettings.from_kwargs(settings)  # unknown or bad settings fail here
    environment = _environment(values.get("environment"))
    description = values.get("description")
    return Trial(
        name=name,
        models=tuple(_text(m, "model") for m in model_ids),
        dataset=dataset,
        inference_config=_path(config, folder, "inference_config", directory=False),
        entry_script=_path(entry, folder, "entry_script", directory=False),
        source_directory=_path(
            values.get("source_directory"), folder, "source_directory", directory=True
        ),
        environment=environment,
        cpu=_number(values.get("cpu"), "cpu"),
        memory_in_gb=_number(values.get("memory_in_gb"), "memory_in_gb"),
        description=None if description is None else str(description),
        settings=settings,
    )


def _environment(value: object) -> str | None:
    """A registered environment's id (``name`` or ``name:version``), checked for form
    here and for existence before the sweep starts."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            f"'environment' must be a registered environment id (name or name:version), "
            f"got {value!r}"
        )
    parse_id(value, "environment id")  # a bad name or version fails here, in one line
    return value.strip()


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInputError(f"'duration' must be seconds or text like 10s, got {value!r}")
    return parse_duration(str(value))


def _number(value: object, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidInputError(f"'{key}' must be a positive number, got {value!r}")
    return float(value)


def _text(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"'{key}' must be a non-empty string, got {value!r}")
    return value


def _path(value: object, folder: Path, key: str, *, directory: bool) -> Path | None:
    if value is None:
        return None
    path = (folder / _text(value, key)).resolve()
    if not (path.is_dir() if directory else path.is_file()):
        raise NotFoundError(f"'{key}' {path} not found")
    return path
