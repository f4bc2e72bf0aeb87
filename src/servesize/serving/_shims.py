"""Make ``from azureml.contrib.services.aml_request import rawhttp`` work without Azure.

A meta-path finder appended *last* to ``sys.meta_path`` answers only for the Azure
module names below, so a real Azure install found by the normal finders always wins;
the shim fills in only what is missing.  Nothing named ``azureml`` ships in the wheel.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

from servesize.serving import _aml

__all__ = ["RAWHTTP_MODULES", "install", "rawhttp_requested"]

_EXPORTS: dict[str, tuple[str, ...]] = {
    "aml_request": ("AMLRequest", "rawhttp"),
    "aml_response": ("AMLResponse",),
}
_PARENTS = ("azureml.contrib.services", "azureml_inference_server_http.api")
#: Modules whose ``_rawHttpRequested`` flag marks ``run`` as raw (ours or Azure's).
RAWHTTP_MODULES = tuple(f"{parent}.aml_request" for parent in _PARENTS)
_PACKAGES = {
    "azureml",
    "azureml.contrib",
    "azureml.contrib.services",
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
        leaf = fullname.rpartition(".")[2]
        if fullname in _PACKAGES:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if fullname.rpartition(".")[0] in _PARENTS and leaf in _EXPORTS:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        leaf = module.__name__.rpartition(".")[2]
        module.__doc__ = "servesize's stand-in for the Azure module of the same name."
        for name in _EXPORTS.get(leaf, ()):
            setattr(module, name, getattr(_aml, name))
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
