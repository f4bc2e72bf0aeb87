"""The command line: one module per noun, each command thin (parse, call, print).

The commands' modules are imported when their command runs (``_app.COMMANDS``).
"""

from servesize.cli._app import app, main

__all__ = ["app", "main"]
