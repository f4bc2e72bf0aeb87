"""One entry point per output format, and writing a report to a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from servesize.errors import InvalidInputError
from servesize.report._exports import (
    render_azure,
    render_csv,
    render_csv_samples,
    render_csv_sizing,
    render_json,
    render_k8s,
)
from servesize.report._html import render_html
from servesize.report._markdown import render_markdown
from servesize.report._plan_exports import render_keda
from servesize.report._view import ProfileView

_RENDERERS: dict[str, Callable[[ProfileView], str]] = {
    "html": render_html,
    "md": render_markdown,
    "json": render_json,
    "csv": render_csv,
    "csv-samples": render_csv_samples,
    "k8s": render_k8s,
    "azure": render_azure,
    "csv-sizing": render_csv_sizing,
    "keda": render_keda,
}

#: Every format name, in the order the CLI lists them.
FORMATS: tuple[str, ...] = tuple(_RENDERERS)

#: The file extension of each format (for a default output file name).
EXTENSIONS = {
    "html": "html",
    "md": "md",
    "json": "json",
    "csv": "csv",
    "csv-samples": "samples.csv",
    "csv-sizing": "sizing.csv",
    "k8s": "yaml",
    "azure": "json",
    "keda": "keda.yaml",
}


def render(view: ProfileView, format: str = "html") -> str:
    """The report of ``view`` in ``format`` (one of :data:`FORMATS`).

    ``k8s`` and ``azure`` raise ``ProfileError`` when the profile has no
    recommendation (Failed, Cancelled, still running); ``keda`` when it has no
    autoscaling plan (``servesize profile plan``).
    """
    try:
        renderer = _RENDERERS[format]
    except KeyError:
        raise InvalidInputError(
            f"unknown report format {format!r}; choose one of {', '.join(FORMATS)}"
        ) from None
    return renderer(view)


def default_filename(name: str, format: str = "html") -> str:
    """``<name>.<ext>``; the name is reduced to safe characters first."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).lstrip(".") or "profile"
    ext = EXTENSIONS.get(format, format)
    if format == "azure":
        ext = "deploymentconfig.json"
    return f"{safe}.{ext}"


def write_report(view: ProfileView, path: str | Path, format: str = "html") -> Path:
    """Render and write the report; returns the path written (UTF-8)."""
    text = render(view, format)
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
