"""The command line: one module per noun, each command thin (parse, call, print)."""

from servesize.cli import dataset, environment, loadtest, model, profile, serve  # noqa: F401
from servesize.cli._app import app, main

__all__ = ["app", "main"]
