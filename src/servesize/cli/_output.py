"""The CLI's rich consoles and its one table style.

Apart from ``_app`` so that rich (about 20 ms to import) is loaded only by the commands
that print through it, or by an error: ``servesize serve`` execs the host without it.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=False)


def new_table(*columns: str) -> Table:
    """The one table style of the human-readable listings."""
    return Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
