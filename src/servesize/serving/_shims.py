"""Make the Azure module names entry scripts import work without Azure packages.

``from azureml.contrib.services.aml_request import rawhttp``, ``from azureml.core.model
import Model``, ``from azureml.monitoring import ModelDataCollector``...  A meta-path
finder appended *last* to ``sys.meta_path`` answers only for the module names below, so
a real Azure install found by the normal finders always wins; the shim fills in only
what is missing.  Nothing named ``azureml`` ships in the wheel.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

from servesize.serving import _aml

__all__ = ["RAWHTTP_MODULES", "SHIMMED", "install", "rawhttp_requested"]

_AML = "servesize.serving._aml"
_SDK = "servesize.serving._azure_sdk"
_MONITORING = "servesize.serving._azure_monitoring"
_CONTEXTS = ("BasicCorrelationContext", "CorrelationContext", "get_context", "get_context_wrapper")
_EXCEPTIONS = (
    "AzureMLException",
    "ModelNotFoundException",
    "RunEnvironmentException",
    "UserErrorException",
    "WebserviceException",
)
#: Azure module -> (servesize module, the names it exports there).
SHIMMED: dict[str, tuple[str, tuple[str, ...]]] = {
    "azureml.contrib.services.aml_request": (_AML, ("AMLRequest", "rawhttp")),
    "azureml.contrib.services.aml_response": (_AML, ("AMLResponse",)),
    "azureml_inference_server_http.api.aml_request": (_AML, ("AMLRequest", "rawhttp")),
    "azureml_inference_server_http.api.aml_response": (_AML, ("AMLResponse",)),
    "azureml.core": (_SDK, ("Model", "Run", "Workspace")),
    "azureml.core.model": (_SDK, ("Model",)),
    "azureml.core.run": (_SDK, ("Run",)),
    "azureml.core.workspace": (_SDK, ("Workspace",)),
    "azureml.monitoring": (_MONITORING, ("ModelDataCollector",)),
    "azureml.ai.monitoring": (_MONITORING, ("Collector",)),
    "azureml.ai.monitoring.context": (_MONITORING, _CONTEXTS),
    "azureml.exceptions": (_SDK, _EXCEPTIONS),
}
#: Modules whose ``_rawHttpRequested`` flag marks ``run`` as raw (ours or Azure's).
RAWHTTP_MODULES = tuple(name for name in SHIMMED if name.endswith(".aml_request"))
_PACKAGES = {
    "azureml",
    "azureml.contrib",
    "azureml.contrib.services",
    "azureml.core",
    "azureml.ai",
    "azureml.ai.monitoring",
    "azureml_inference_server_http",
    "azureml_inference_server_http.api",
}


class _ShimFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in _PACKAGES or fullname in SHIMMED:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in _PACKAGES)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__doc__ = "servesize's stand-in for the Azure module of the same name."
        source, names = SHIMMED.get(module.__name__, ("", ()))
        if names:
            implementation = importlib.import_module(source)
            for name in names:
                setattr(module, name, getattr(implementation, name))
            setattr(module, "__all__", list(names))  # noqa: B010  (ModuleType declares none)
        if module.__spec__ is not None and module.__spec__.submodule_search_locations is not None:
            module.__path__ = []


_FINDER = _ShimFinder()


def install() -> None:
    """Append the shim finder to ``sys.meta_path`` (idempotent)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)


def rawhttp_requested() -> bool:
    """Whether any loaded ``rawhttp`` (ours or a real Azure one) has been applied."""
    if _aml._rawHttpRequested:
        return True
    return any(
        getattr(sys.modules.get(name), "_rawHttpRequested", False) is True
        for name in RAWHTTP_MODULES
    )
