"""A command's options read without typer's runtime, for the plain forms only.

typer (0.29) validates every option through a pydantic adapter: importing pydantic and
building the adapters costs about 90 ms on a 2-core machine, which ``servesize serve``
would pay before it execs the host. Arguments written the plain way, ``--name value``,
``--name=value``, ``-n value`` and ``--flag``, with text, whole-number, decimal and
path values, are read here from typer's own declaration of the command (its click
parameters: names, flags, repetition, defaults) and the function's annotations,
giving the values typer would (``tests/cli/test_plain.py`` compares the two). Anything
else (``--help``, a mistake, an unusual spelling, a value from an environment
variable) gives None, and typer parses: its help and its errors stay the only ones.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typer._click import Command as ClickCommand

__all__ = ["plain_params"]

_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def plain_params(
    command: ClickCommand, function: Callable[..., Any], args: Sequence[str]
) -> dict[str, Any] | None:
    """``function``'s keyword arguments from ``args``, or None when typer must parse."""
    kinds = _kinds(function)
    by_name = {name: param for param in command.params for name in param.opts}
    given: dict[str, Any] = {}
    tokens = iter(args)
    for token in tokens:
        name, eq, inline = token.partition("=")
        param = by_name.get(name)
        if param is None or param.name not in kinds or (eq and not name.startswith("--")):
            return None
        kind, many = kinds[param.name]
        if getattr(param, "is_flag", False):
            if eq or param.secondary_opts:
                return None
            value: Any = True
        else:
            raw = inline if eq else next(tokens, None)
            value = None if raw is None or raw.startswith("-") else _convert(kind, raw)
            if value is None:
                return None
        if many:
            given.setdefault(param.name, []).append(value)
        elif param.name in given:
            return None  # typer keeps the last; rare enough to leave to it
        else:
            given[param.name] = value
    values: dict[str, Any] = {}
    for param in command.params:
        assert param.name is not None
        if param.name in given:
            values[param.name] = given[param.name]
        elif param.required or (isinstance(param.envvar, str) and os.environ.get(param.envvar)):
            return None
        else:
            values[param.name] = () if param.multiple else param.default
    return values


def _kinds(function: Callable[..., Any]) -> dict[str, tuple[type, bool]]:
    """Each parameter of ``function`` whose values this module converts: its type and
    whether it repeats (``list[X]``); ``X | None`` counts as ``X``."""
    kinds = {}
    for name, hint in typing.get_type_hints(function).items():
        many = typing.get_origin(hint) is list
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
            hint = args[0]
            many = typing.get_origin(hint) is list
        if many:
            hint = typing.get_args(hint)[0]
        if hint in (str, int, float, Path, bool):
            kinds[name] = (hint, many)
    return kinds


def _convert(kind: type, raw: str) -> Any:
    """``raw`` as ``kind``, or None for a value typer must judge (empty, signed,
    exponent, non-ASCII digits...)."""
    if not raw:
        return None
    if kind is str:
        return raw
    if kind is Path:
        return Path(raw)
    if kind is int and raw.isascii() and raw.isdigit():
        return int(raw)
    if kind is float and _DECIMAL.fullmatch(raw):
        return float(raw)
    return None
