"""Diagnostic for bench/lateness.py: per-send records of every generator process.

Put this folder first on ``PYTHONPATH`` and set ``TRACE_DIR``; every Python process
that imports ``servesize.load`` then wraps the engine's connection class (as
``bench/pacer.py`` does) to record, for each send, the due time, when its connection
was made and when it was written, and at exit writes them with the process's
``/proc/self/schedstat`` (CPU time, time runnable but waiting for a CPU, slices) to
``TRACE_DIR/PID.json``, with every garbage collection (generation, start, end).
``python bench/lateness_trace/summary.py TRACE_DIR/*.json`` prints one line per
process.  Never imported unless put on the path by hand.
"""

import atexit
import builtins
import gc
import json
import os
import sys
import threading
from time import monotonic_ns

if os.environ.get("TRACE_DIR"):
    _log: list[tuple[int, int, int]] = []
    _gc: list[tuple[int, int, int]] = []  # (generation, start, end) of each collection
    _gc_start = [0]

    def _on_gc(phase, info):  # type: ignore[no-untyped-def]
        if phase == "start":
            _gc_start[0] = monotonic_ns()
        else:
            _gc.append((info["generation"], _gc_start[0], monotonic_ns()))

    gc.callbacks.append(_on_gc)
    _done = [False]
    _depth = [0]
    _import = builtins.__import__

    def _patch() -> None:
        from servesize.load import _client, _engine

        class Recording(_client.Connection):
            __slots__ = ("made",)

            def connection_made(self, transport):  # type: ignore[no-untyped-def]
                self.made = monotonic_ns()
                super().connection_made(transport)

            def send(self, due, sent, data):  # type: ignore[no-untyped-def]
                _log.append((due, self.made, sent))
                super().send(due, sent, data)

        _engine.Connection = Recording  # type: ignore[misc]

    def _hook(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        _depth[0] += 1
        try:
            module = _import(name, *args, **kwargs)
        finally:
            _depth[0] -= 1
        # patch once both modules are fully imported (not from inside their import)
        if not _done[0] and _depth[0] == 0 and "servesize.load._engine" in sys.modules:
            _done[0] = True
            _patch()
        return module

    builtins.__import__ = _hook

    def _dump() -> None:
        if not _log:
            return
        with open("/proc/self/schedstat") as f:
            sched = [int(x) for x in f.read().split()]
        out = os.path.join(os.environ["TRACE_DIR"], f"{os.getpid()}.json")
        with open(out, "w") as f:
            json.dump(
                {
                    "sends": _log,
                    "gc": _gc,
                    "schedstat": sched,
                    "threads": threading.active_count(),
                },
                f,
            )

    atexit.register(_dump)
