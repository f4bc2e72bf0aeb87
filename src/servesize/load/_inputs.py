"""Request bodies from a file: one body a line, blank lines skipped."""

from __future__ import annotations

from pathlib import Path

from servesize.errors import InvalidInputError, NotFoundError

__all__ = ["bodies_from_file"]


def bodies_from_file(path: Path) -> list[bytes]:
    """Every non-blank line of ``path`` (without its line ending) as one request body.

    Lines are kept as bytes, so any encoding passes through untouched.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise InvalidInputError(f"{path} is a directory, not a file of request bodies") from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    bodies = [line.rstrip(b"\r") for line in data.split(b"\n") if line.strip()]
    if not bodies:
        raise InvalidInputError(f"{path} holds no request bodies (it is empty or blank)")
    return bodies
