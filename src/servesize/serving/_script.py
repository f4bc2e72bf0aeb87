"""Loading the user's entry script and choosing its input mode, once, before serving.

Errors in *our* checks (missing ``run``, ``*args``...) become :class:`EntryScriptError`;
an exception raised while importing the user's module is wrapped the same way, with
the original chained, so the caller prints one line and the log keeps the traceback.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from servesize.errors import EntryScriptError
from servesize.serving import _aml, _shims
from servesize.serving._config import StopRequested

__all__ = ["EntryScript", "InputMode", "load_entry_script"]

InputMode = Literal["plain", "rawhttp", "schema"]


@dataclass(frozen=True)
class EntryScript:
    """A loaded entry script: its ``init``/``run`` and how ``run`` wants its input."""

    path: Path
    module: ModuleType
    init: Callable[[], Any]
    run: Callable[..., Any]
    mode: InputMode
    #: plain/rawhttp: the one input parameter; schema: every parameter of ``run``.
    params: tuple[inspect.Parameter, ...]
    wants_headers: bool


def _is_schema_decorated(func: Callable[..., Any]) -> bool:
    try:
        from inference_schema.schema_util import is_schema_decorated
    except ImportError:  # without inference-schema nothing can be decorated
        return False
    return bool(is_schema_decorated(func))


def _import(path: Path) -> ModuleType:
    # azmlinfsrv imports every script as "entry_module"; keep the name for pickles/logs.
    spec = importlib.util.spec_from_file_location("entry_module", path)
    if spec is None or spec.loader is None:
        raise EntryScriptError(f"cannot import entry script {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except StopRequested:
        raise
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}" if exc.lineno else str(path)
        raise EntryScriptError(f"syntax error in entry script {where}: {exc.msg}") from exc
    except BaseException as exc:
        raise EntryScriptError(f"cannot import {path}: {type(exc).__name__}: {exc}") from exc
    return module


def load_entry_script(path: Path) -> EntryScript:
    """Import ``path`` and validate ``init``/``run`` as azmlinfsrv does."""
    _shims.install()
    _aml._rawHttpRequested = False
    module = _import(path)
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise EntryScriptError(f"entry script {path} does not define a {name}() function")
    run = module.run
    # Azure SDK "driver" modules forward to the real script; azmlinfsrv calls it directly.
    driver = getattr(module, "driver_module", None)
    if isinstance(driver, ModuleType) and callable(getattr(driver, "run", None)):
        run = driver.run
    return _analyse(path, module, run)


def _analyse(path: Path, module: ModuleType, run: Callable[..., Any]) -> EntryScript:
    try:
        params = list(inspect.signature(run).parameters.values())
    except (TypeError, ValueError) as exc:
        raise EntryScriptError(f"cannot inspect run() in {path}: {exc}") from exc
    allowed = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in allowed for p in params):
        raise EntryScriptError("run() cannot accept positional-only arguments, *args, or **kwargs")
    wants_headers = any(p.name == "request_headers" for p in params)
    params = [p for p in params if p.name != "request_headers"]
    if not params:
        raise EntryScriptError("run() needs to accept an argument for input data")
    raw = _shims.rawhttp_requested()
    schema = _is_schema_decorated(run)
    if raw and schema:
        raise EntryScriptError("run() cannot be decorated with both @rawhttp and @input_schema")
    mode: InputMode = "rawhttp" if raw else "schema" if schema else "plain"
    chosen = tuple(params) if mode == "schema" else (params[0],)
    if module.__name__ not in sys.modules:
        sys.modules[module.__name__] = module
    return EntryScript(path, module, module.init, run, mode, chosen, wants_headers)
