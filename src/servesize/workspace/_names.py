"""Registry names and ids: the one place user strings are checked before they touch a path."""

from __future__ import annotations

import re

from servesize.errors import InvalidInputError, InvalidNameError

__all__ = ["NAME_PATTERN", "format_id", "parse_id", "validate_name"]

#: A name may become a file name (logs, download folders), so it must never hold a
#: separator, start with a dot or be empty.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


def validate_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it is a valid registry name, else raise :class:`InvalidNameError`."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        shown = name if isinstance(name, str) else type(name).__name__
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise InvalidNameError(
            f"invalid {what} {shown!r}: use 1-255 characters from A-Z a-z 0-9 . _ -, "
            "starting with a letter or digit"
        )
    return name


def parse_id(ident: str, what: str = "id") -> tuple[str, int | None]:
    """Split ``"name:version"`` into its parts; ``"name"`` or ``"name:latest"`` mean the latest."""
    name, sep, version = ident.strip().rpartition(":")
    if not sep:
        return validate_name(version, what), None
    validate_name(name, what)
    if version == "latest":
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise InvalidInputError(
            f"invalid {what} {ident!r}: the version after ':' must be a whole number >= 1"
        )
    return name, int(version)


def format_id(name: str, version: int) -> str:
    """The id of one registered version, as Azure spells it."""
    return f"{name}:{version}"
