"""The command line: one module per noun, each command thin (parse, call, print)."""

from servesize.cli import (  # noqa: F401  (importing registers the commands)
    dataset,
    environment,
    loadtest,
    model,
    model_profile,
    profile,
    serve,
    sweep,
)
from servesize.cli._app import app, main

__all__ = ["app", "main"]
