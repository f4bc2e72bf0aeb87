"""``Model.profile`` and ``ModelProfile``: Azure ML SDK v1's profiling API, run locally.

Example::

    profile = Model.profile(ws, "sklearn-1", [model], inference_config, dataset)
    profile.wait_for_completion(show_output=True)
    details = profile.get_details()
    details["recommendedCpu"], details["recommendedMemoryInGB"]
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from servesize.deploy import DeployOptions, attach
from servesize.errors import InvalidInputError
from servesize.profiling import ProfileSettings, start_run
from servesize.report import (
    Comparison,
    ProfileView,
    default_filename,
    notebook_html,
    parse_threshold,
    with_deployment,
    write_report,
)
from servesize.report import compare as compare_views
from servesize.sdk._resolve import profile_request
from servesize.sdk._workspace import store_of
from servesize.workspace import FINAL_STATES, Figures, ProfileRecord, owner_alive

__all__ = ["Details", "ModelProfile", "compare", "profile"]

# Spellings users copied from Azure's documentation, mapped to the keys Azure returned.
_ALIASES = {
    "requestedMemoryInGb": "requestedMemoryInGB",
    "recommendedMemoryInGb": "recommendedMemoryInGB",
    "maxUtilizedMemoryInGb": "maxUtilizedMemoryInGB",
}


class Details(dict[str, Any]):
    """``get_details()``'s dict: Azure's keys, plus lookups by the documented misspellings.

    ``details['requestedMemoryInGb']`` works (Azure's docs read that key) without the
    alias appearing among the keys, so ``set(details)`` stays the contract's.
    """

    def __missing__(self, key: str) -> Any:
        if key in _ALIASES:
            return self[_ALIASES[key]]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (
            isinstance(key, str) and key in _ALIASES and super().__contains__(_ALIASES[key])
        )


class ModelProfile:
    """A stored profile: its state, its details, its report."""

    def __init__(self, workspace: Any, name: str) -> None:
        self.workspace = workspace
        self._store = store_of(workspace)
        self.name = name
        # set when this process runs the profile: the run's "finished" and "cancel"
        self._finished: threading.Event | None = None
        self._cancel: threading.Event | None = None
        self.progress: dict[str, Any] = {}
        #: traffic given to Model.profile: planned once the profile succeeded
        self._traffic: Any = None
        self._html_report: Path | None = None  # where report() last wrote the HTML one
        self._store.profiles.get(name)  # NotFoundError for an unknown name

    @classmethod
    def _run_here(cls, workspace: Any, name: str) -> ModelProfile:
        """A handle on a profile this process is about to run (not stored yet)."""
        handle = cls.__new__(cls)
        handle.workspace, handle._store, handle.name = workspace, store_of(workspace), name
        handle.progress = {}
        handle._finished = handle._cancel = None
        handle._traffic = None
        handle._html_report = None
        return handle

    def _on_progress(self, phase: str, fraction: float, text: str) -> None:
        if self.progress.get("phase") != phase:
            self.progress["text"] = ""
            # every phase in the order it started, so a display that polls still shows
            # one that ended between two polls (``prepare`` takes milliseconds)
            phases = self.progress.setdefault("phases", [])
            if phase not in phases:
                phases.append(phase)
        self.progress.update(phase=phase, fraction=fraction)
        if text:
            self.progress["text"] = text

    def _pause(self, seconds: float) -> None:
        """Wait a little for the run: on its event when it is ours, else by the clock."""
        if self._finished is not None:
            self._finished.wait(seconds)
        else:
            time.sleep(seconds)  # run by another process: the caller polls the store

    def __repr__(self) -> str:
        return f"ModelProfile(name={self.name!r}, state={self.state!r})"

    def _repr_html_(self) -> str:
        """What Jupyter shows for the profile: state, verdict, recommendation, objective,
        and a link to the HTML report where :meth:`report` wrote it (nothing is written
        just to display it)."""
        view = ProfileView.from_store(self._store, self.name)
        report = self._html_report or Path(default_filename(self.name))
        if report.is_file():
            # relative: the notebook's server serves files below its root by their path
            link = os.path.relpath(report.resolve(), Path.cwd())
            return notebook_html(view, Path(link).as_posix())
        note = None
        if view.state in FINAL_STATES:
            note = f".report() writes the HTML report to {default_filename(self.name)}"
        elif self.progress.get("phase"):
            note = f"now: {self.progress['phase']}"
        return notebook_html(view, None, note)

    @property
    def state(self) -> str:
        return self._record().state

    @property
    def description(self) -> str | None:
        return self._record().description

    @property
    def model_ids(self) -> tuple[str, ...]:
        """The ids of the profiled models, as resolved when the profile started."""
        request = self._record().record.get("request") or {}
        return tuple(str(m) for m in request.get("modelIds") or ())

    @property
    def missing_requirements(self) -> tuple[str, ...]:
        """Requirements of the environment not installed here (reported, not fatal)."""
        request = self._record().record.get("request") or {}
        return tuple(str(r) for r in request.get("missingRequirements") or ())

    @property
    def log_path(self) -> Path:
        return self._store.profile_log_path(self.name)

    def wait_for_completion(self, show_output: bool = False, timeout: float | None = None) -> str:
        """Block until the profile reaches a final state and return it."""
        if show_output:
            from servesize.sdk._progress import follow

            state = follow(self, timeout=timeout)
            if state in FINAL_STATES:
                self._plan_traffic(state)
            return state
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.state
            if state in FINAL_STATES:
                self._plan_traffic(state)
                return state
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return state
            if self._finished is not None and not self._finished.is_set():
                # ours: no polling while it runs, the caller's thread would share the
                # load generator's CPU (docs/loadtest.md); the event is set when it ends
                self._finished.wait(None if deadline is None else deadline - now)
            else:
                self._pause(0.2)

    def _plan_traffic(self, state: str) -> None:
        """Plan the traffic given to ``Model.profile`` once (the profile succeeded); a
        profile that cannot be planned (no sizing) says why in ``autoscaling.note``
        rather than failing ``wait_for_completion()``."""
        traffic, self._traffic = self._traffic, None
        if traffic is not None and state == "Succeeded":
            from servesize.planning import store_unplanned
            from servesize.sdk._plan import plan_stored

            try:
                plan_stored(self._store, self.name, traffic)
            except InvalidInputError as exc:
                store_unplanned(self._store, self.name, str(exc), traffic.summary)

    def plan(
        self,
        traffic: Any,
        *,
        column: str | None = None,
        speed: float = 1.0,
        autoscaler: str = "hpa",
        confirm: bool = True,
        **settings: Any,
    ) -> dict[str, Any]:
        """Plan this profile's replica for ``traffic`` (a trace file, a
        ``servesize.load.Trace`` or arrival times in seconds): the HPA's and KEDA's
        settings simulated over it, confirmed on real replicas over its hardest window,
        stored in the details (``autoscaling``, ``traffic``; docs/planning.md).
        ``settings`` are ``servesize.planning.PlanSettings`` fields.  Returns the
        ``autoscaling`` details."""
        from servesize.sdk._plan import plan_stored, traffic_of

        return plan_stored(
            self._store,
            self.name,
            traffic_of(traffic, column, speed),
            autoscaler=autoscaler,
            confirm=confirm,
            settings=settings,
        )

    def cancel(self) -> None:
        """Stop a running profile; it ends ``Cancelled`` with what it measured."""
        if self._cancel is not None:
            self._cancel.set()
            return
        record = self._record()
        runner = record.record.get("runner") or {}
        if record.state not in FINAL_STATES and owner_alive(runner):
            os.kill(int(runner["pid"]), signal.SIGINT)

    @property
    def figures(self) -> Figures:
        """The measured figures, typed (``get_details()`` shows them under Azure's keys)."""
        return Figures.from_details(self._record().details)

    def get_details(self) -> Details:
        record = self._record()
        details: dict[str, Any] = {
            "name": record.name,
            "description": record.description,
            "state": record.state,
            "createdTime": record.created_time.isoformat(),
            "errorLogsUri": self.log_path.resolve().as_uri(),
        }
        details.update(record.details)
        details["state"] = record.state
        return Details({k: v for k, v in details.items() if v is not None})

    def serialize(self) -> dict[str, Any]:
        record = self._record()
        request = record.record.get("request") or {}
        out: dict[str, Any] = dict(self.get_details())
        out.update(
            {
                "id": record.record.get("id", record.name),
                "inputDatasetId": request.get("inputDatasetId"),
                "modelIds": request.get("modelIds"),
                "environment": request.get("environment"),
                "entryScript": request.get("entryScript"),
                "sourceDirectory": request.get("sourceDirectory"),
                "settings": request.get("settings"),
            }
        )
        return out

    def report(
        self,
        path: str | Path | None = None,
        format: str = "html",
        *,
        skus: str | Path | None = None,
        prices: Any = None,
        instance_type: str | None = None,
    ) -> Path:
        """Write the report (html, md, json, csv, k8s, azureml, azure-v1, ...) and
        return its path.  ``skus`` (a SKU file), ``prices`` (``{"core-hour": 0.05}`` or
        ``["gb-hour=0.006"]``) and ``instance_type`` recompute the deployment and its
        cost from the stored figures (docs/azureml-v2.md); nothing is measured again."""
        view = ProfileView.from_store(self._store, self.name)
        options = DeployOptions.parse(skus, prices, instance_type)
        if options.given:
            view = with_deployment(view, options)
        target = Path(path) if path is not None else Path(default_filename(self.name, format))
        target.parent.mkdir(parents=True, exist_ok=True)
        written = write_report(view, target, format)
        if format == "html":
            self._html_report = written.resolve()
        return written

    def _record(self) -> ProfileRecord:
        # the store marks a profile whose runner died Failed ("interrupted") on read
        return self._store.profiles.get(self.name)


def profile(
    workspace: Any,
    profile_name: str,
    models: Iterable[Any],
    inference_config: Any,
    input_dataset: Any,
    cpu: float | None = None,
    memory_in_gb: float | None = None,
    description: str | None = None,
    environment: Any = None,
    *,
    traffic: Any = None,
    skus: str | Path | None = None,
    prices: Any = None,
    instance_type: str | None = None,
    **settings: Any,
) -> ModelProfile:
    """Profile ``models`` served by ``inference_config`` with ``input_dataset``'s rows.

    Returns at once; the profile runs in the background (like Azure's). Bad arguments
    raise before anything starts.  ``cpu``/``memory_in_gb`` are the upper bound of the
    sizing search.  ``settings`` are :class:`ProfileSettings` fields, notably
    ``qps=40`` and ``slo="p99=150ms"`` (the smallest allocation meeting the objective at
    that rate; docs/profiling.md), ``min_duration``, ``min_queries``, ``workers``, ...

    An MLflow model needs no ``inference_config`` (None): it is served as ``mlflow
    models serve`` does, in an environment built from its ``requirements.txt``
    (``env_manager="virtualenv"``, the default, or ``"uv"``) or with servesize's own
    interpreter (``env_manager="local"``); ``environment`` (an ``Environment`` or its
    id) wins over both (docs/servers.md).

    ``traffic`` (a trace file, a ``servesize.load.Trace`` or arrival times in seconds):
    read now (a bad file fails before anything starts) and planned for once the
    profile succeeded, when ``wait_for_completion()`` returns (``ModelProfile.plan``;
    docs/planning.md).

    When it ends, the profile chooses where to run it (``details['deployment']``: an
    Azure VM size from the bundled table or ``skus``, a SKU file, and the instances the
    target needs; ``instance_type`` forces the size) and, with ``prices``
    (``{"core-hour": 0.048, "gb-hour": 0.0065}``), its cost (``details['cost']``);
    docs/azureml-v2.md.
    """
    store = store_of(workspace)
    options = DeployOptions.parse(skus, prices, instance_type)
    planned = None
    if traffic is not None:
        from servesize.sdk._plan import traffic_of

        planned = traffic_of(traffic)
    request = profile_request(
        store,
        name=profile_name,
        models=models,
        inference_config=inference_config,
        dataset=input_dataset,
        cpu=cpu,
        memory_gb=memory_in_gb,
        description=description,
        settings=ProfileSettings.from_kwargs(settings),
        environment=environment,
    )
    handle = ModelProfile._run_here(workspace, request.name)
    handle._traffic = planned
    started = start_run(
        store, request, progress=handle._on_progress, finish=lambda f: attach(f, options)
    )
    handle._finished, handle._cancel = started.finished, started.cancel
    return handle


def compare(a: ModelProfile, b: ModelProfile, max_regression: float | str = 0.10) -> Comparison:
    """Compare profile ``b`` (candidate) with ``a`` (baseline); ``.regressed`` is the gate.

    ``max_regression`` is a share (0.1, 2.5) or a percentage string ("10%", "150%").
    """
    threshold = parse_threshold(max_regression)
    return compare_views(
        ProfileView.from_store(a._store, a.name),
        ProfileView.from_store(b._store, b.name),
        max_regression=threshold,
    )
