"""Bounded logging of ``run()`` failures: each distinct failure in full once, then counted.

A dataset whose rows ``run()`` rejects would otherwise log one traceback per request
(34 MB for one profile was seen).  Failures are keyed by (exception type, message):
the first few distinct ones are logged with their traceback, later distinct ones in
one line, repeats only at 10, 100, 1000... occurrences; past ``_MAX_DISTINCT`` keys,
new messages of a type are counted together.  When the worker stops it logs one
machine-readable line per key (``run() errors: {json}``), which the profiler sums
into the profile's ``runErrors``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

__all__ = ["RUN_ERRORS_MARKER", "RunErrors", "power_of_ten", "read_run_errors"]

logger = logging.getLogger("servesize.serving")

RUN_ERRORS_MARKER = "run() errors: "
_FULL_TRACEBACKS = 10
_MAX_DISTINCT = 100
_MESSAGE_CHARS = 300
_OTHERS = "(other messages)"


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MESSAGE_CHARS else line[: _MESSAGE_CHARS - 3] + "..."


class RunErrors:
    """Counts of failures per (type, message) in one worker, logged boundedly."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def record(self, exc: BaseException, context: str) -> None:
        """Log ``exc`` (raised by user code) under ``context``, or just count it."""
        kind = type(exc).__name__
        key = (kind, _one_line(str(exc)))
        if key not in self.counts and len(self.counts) >= _MAX_DISTINCT:
            key = (kind, _OTHERS)
        count = self.counts[key] = self.counts.get(key, 0) + 1
        if count == 1 and len(self.counts) <= _FULL_TRACEBACKS:
            logger.error(context, exc_info=exc)
        elif count == 1:
            logger.error(
                "%s: %s: %s (traceback not repeated: %d distinct failures are logged in full)",
                context,
                *key,
                _FULL_TRACEBACKS,
            )
        elif power_of_ten(count):
            logger.error("%s: %s: %s -- %d times so far", context, *key, count)

    def log_summary(self) -> None:
        """One line per distinct failure with its count (read by :func:`read_run_errors`)."""
        for (kind, message), count in self.counts.items():
            entry = {"type": kind, "message": message, "count": count}
            logger.info("%s%s", RUN_ERRORS_MARKER, json.dumps(entry))


def power_of_ten(n: int) -> bool:
    """1, 10, 100, 1,000...: when a repeated event is logged again."""
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1


def read_run_errors(log: Path) -> list[dict[str, Any]]:
    """The failure counts every worker logged into ``log``, summed, most frequent first."""
    totals: dict[tuple[str, str], int] = {}
    try:
        with log.open("r", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                at = line.find(RUN_ERRORS_MARKER)
                if at < 0:
                    continue
                try:
                    entry = json.loads(line[at + len(RUN_ERRORS_MARKER) :])
                    key = (str(entry["type"]), str(entry["message"]))
                    totals[key] = totals.get(key, 0) + int(entry["count"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line that only looks like ours (user output)
    except OSError:
        return []
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [{"type": t, "message": m, "count": c} for (t, m), c in ranked]
