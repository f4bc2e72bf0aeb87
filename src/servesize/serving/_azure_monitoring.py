"""Stand-ins for Azure's model data collectors, with collection disabled.

``azureml.monitoring.ModelDataCollector`` (SDK v1) and ``azureml.ai.monitoring.Collector``
(managed online endpoints) are imported by many entry scripts; outside Azure, where
collection is not configured, both accept the data, store and send nothing, and answer
as the real ones do when collection is off.  Served by :mod:`servesize.serving._shims`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

__all__ = [
    "BasicCorrelationContext",
    "Collector",
    "CorrelationContext",
    "ModelDataCollector",
    "get_context",
    "get_context_wrapper",
]

_DISABLED = "custom logging is not enabled, drop the data"


class ModelDataCollector:
    """``azureml.monitoring.ModelDataCollector`` with collection disabled, as Azure's is
    unless ``AML_MODEL_DC_STORAGE_ENABLED`` is set there: ``collect`` stores and sends
    nothing and returns ``None``; ``add_correlations`` returns the data unchanged."""

    _told = False

    def __init__(self, model_name: str, *args: Any, **kwargs: Any) -> None:
        self.model_name = model_name
        if not ModelDataCollector._told:  # once per worker, not once per collector
            ModelDataCollector._told = True
            print("Data collection is not enabled (servesize collects nothing).")

    def collect(self, input_data: Any, user_correlation_id: str = "") -> None:
        return None

    def add_correlations(self, input_data: Any, correlations: Any) -> Any:
        return input_data


class CorrelationContext:
    """``azureml.ai.monitoring.context.CorrelationContext``: ties inputs to outputs."""

    def get_id(self) -> str:
        return ""

    def __str__(self) -> str:
        return self.get_id()

    __repr__ = __str__


class BasicCorrelationContext(CorrelationContext):
    def __init__(
        self, id: str | None = None, timestamp: int | None = None, headers: Any = None
    ) -> None:
        self.id = id or str(uuid.uuid4())
        self.timestamp = timestamp or int(time.time())
        self.headers = headers or {}

    def get_id(self) -> str:
        return self.id

    def get_timestamp(self) -> int:
        return self.timestamp

    def get_headers(self) -> Any:
        return self.headers


def get_context() -> CorrelationContext:
    return BasicCorrelationContext()


def get_context_wrapper(
    context: CorrelationContext, success: bool, message: str
) -> CorrelationContext:
    return _WrapperContext(context, success, message)


class _WrapperContext(CorrelationContext):
    """What ``collect`` returns: the context plus whether the data was taken."""

    def __init__(self, context: CorrelationContext, success: bool, message: str) -> None:
        self._context, self._success, self._message = context, success, message

    def get_id(self) -> str:
        return self._context.get_id()

    def get_timestamp(self) -> Any:
        return getattr(self._context, "get_timestamp", lambda: None)()

    def get_headers(self) -> Any:
        return getattr(self._context, "get_headers", dict)()

    def is_success(self) -> bool:
        return self._success

    def get_message(self) -> str:
        return self._message


class Collector:
    """``azureml.ai.monitoring.Collector`` with custom logging disabled.

    As Azure's then: ``on_error`` (if given) receives ``Exception("custom logging is not
    enabled, drop the data")`` at construction and at every ``collect``, and ``collect``
    returns the correlation context (a new one if none was given).  One deliberate
    difference: without ``on_error`` Azure's raises that exception (so ``init()`` fails
    outside a deployment with collection on); this one does not, so the script runs as
    it does where it is deployed.
    """

    def __init__(self, *, name: str, on_error: Callable[[Exception], Any] | None = None) -> None:
        self.name = name
        self.on_error = on_error
        self._dropped()

    def _dropped(self) -> None:
        if self.on_error is not None:
            self.on_error(Exception(_DISABLED))

    def collect(
        self, data: Any, correlation_context: CorrelationContext | None = None
    ) -> CorrelationContext:
        self._dropped()
        return correlation_context or get_context()
