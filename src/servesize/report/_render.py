"""One entry point per output format, and writing a report to a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from servesize.errors import InvalidInputError
from servesize.report._deploy import render_azureml
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
    "azureml": render_azureml,
    "azure-v1": render_azure,
    "csv-sizing": render_csv_sizing,
    "keda": render_keda,
}

#: Every format name, in the order the CLI lists them.
FORMATS: tuple[str, ...] = tuple(_RENDERERS)

#: Old names still accepted: ``azure`` was the v1 ACI file before Azure ML v2 existed
#: here; scripts that ask for it keep getting that file (under a deprecation note)
#: rather than a YAML of another schema in its place.
ALIASES = {"azure": "azure-v1"}

#: The file extension of each format (for a default output file name).
EXTENSIONS = {
    "html": "html",
    "md": "md",
    "json": "json",
    "csv": "csv",
    "csv-samples": "samples.csv",
    "csv-sizing": "sizing.csv",
    "k8s": "yaml",
    "azureml": "deployment.yml",
    "azure-v1": "deploymentconfig.json",
    "keda": "keda.yaml",
}


def render(view: ProfileView, format: str = "html") -> str:
    """The report of ``view`` in ``format`` (one of :data:`FORMATS`).

    ``k8s``, ``azureml`` and ``azure-v1`` raise ``ProfileError`` when the profile has
    no recommendation (Failed, Cancelled, still running); ``keda`` when it has no
    autoscaling plan (``servesize profile plan``).
    """
    try:
        renderer = _RENDERERS[ALIASES.get(format, format)]
    except KeyError:
        raise InvalidInputError(
            f"unknown report format {format!r}; choose one of {', '.join(FORMATS)}"
        ) from None
    return renderer(view)


def default_filename(name: str, format: str = "html") -> str:
    """``<name>.<ext>``; the name is reduced to safe characters first."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).lstrip(".") or "profile"
    format = ALIASES.get(format, format)
    return f"{safe}.{EXTENSIONS.get(format, format)}"


def write_report(view: ProfileView, path: str | Path, format: str = "html") -> Path:
    """Render and write the report; returns the path written (UTF-8)."""
    text = render(view, format)
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
