"""Diagnostic for bench/lateness.py: per-send records of every generator process.

Put this folder first on ``PYTHONPATH`` and set ``TRACE_DIR``; every Python process
that imports ``servesize.load`` then wraps the engine's connection class (as
``bench/pacer.py`` does) to record, for each send, the due time, when its connection
was made and when it was written, and at exit writes them to ``TRACE_DIR/PID.json``
with the sending thread's ``schedstat`` (CPU time, time runnable but waiting for a CPU,
slices) over its measured windows (the process's when it closed fewer than two), the
host's steal time of each CPU and the process's minor and major page faults over them,
every garbage collection (generation, start, end), every request that found no free
connection, and every run of the generator's own periodic work (``stalls``: the
recorder closing a 1 s window, the 50 ms sweep, a closed window's trip to the parent),
so that a late send can be laid beside what the process was doing when it fell due.
``python bench/lateness_trace/summary.py TRACE_DIR/*.json`` prints one line per
process.  Never imported unless put on the path by hand.
"""

import atexit
import builtins
import collections
import functools
import gc
import json
import os
import sys
import threading
from time import monotonic_ns

if os.environ.get("TRACE_DIR"):
    _log: list[tuple[int, int, int]] = []
    _gc: list[tuple[int, int, int]] = []  # (generation, start, end) of each collection
    _stalls: list[tuple[str, int, int]] = []  # (what, start, end) of periodic work
    _queued: list[tuple[int, int, int]] = []  # (due, open connections, in flight) of a
    # request that found no free connection and waited in line for one
    _gc_start = [0]
    _sched: list[list[int]] = []  # the sending thread's schedstat: first and last window
    _steal: list[list[int]] = []  # per-CPU steal ticks (the host ran something else)

    def _read(path):  # type: ignore[no-untyped-def]
        with open(path) as f:
            return [int(x) for x in f.read().split()]

    _faults: list[list[int]] = []  # the process's minor and major page faults

    def _faults_now():  # type: ignore[no-untyped-def]
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return [int(fields[7]), int(fields[9])]  # minflt, majflt

    def _steal_delta():  # type: ignore[no-untyped-def]
        return [b - a for a, b in zip(*_steal, strict=True)] if len(_steal) == 2 else None

    def _steal_now():  # type: ignore[no-untyped-def]
        with open("/proc/stat") as f:
            return [int(line.split()[8]) for line in f if line[:3] == "cpu" and line[3] != " "]

    def _on_gc(phase, info):  # type: ignore[no-untyped-def]
        if phase == "start":
            _gc_start[0] = monotonic_ns()
        else:
            _gc.append((info["generation"], _gc_start[0], monotonic_ns()))

    gc.callbacks.append(_on_gc)
    _done = [False]
    _depth = [0]
    _import = builtins.__import__

    def _timed(cls, name, label):  # type: ignore[no-untyped-def]
        method = getattr(cls, name)

        @functools.wraps(method)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            begin = monotonic_ns()
            try:
                return method(*args, **kwargs)
            finally:
                _stalls.append((label, begin, monotonic_ns()))

        setattr(cls, name, wrapper)

    def _patch() -> None:
        from servesize.load import _client, _engine, _recorder

        class Recording(_client.Connection):
            __slots__ = ("made",)

            def connection_made(self, transport):  # type: ignore[no-untyped-def]
                self.made = monotonic_ns()
                super().connection_made(transport)

            def send(self, due, sent, data):  # type: ignore[no-untyped-def]
                if self.owner.rate is not None:  # open loop only: closed has no schedule
                    _log.append((due, self.made, sent))
                super().send(due, sent, data)

        _engine.Connection = Recording  # type: ignore[misc]

        close = _recorder.Recorder._close

        def _close(self, length):  # type: ignore[no-untyped-def]
            # the sending thread's own figures (/proc/self is the main thread's, and the
            # CLI sends from another), and the host's steal time on every CPU
            if not _sched:
                _sched.append(_read("/proc/thread-self/schedstat"))
                _steal.append(_steal_now())
                _faults.append(_faults_now())
            close(self, length)
            _sched[1:] = [_read("/proc/thread-self/schedstat")]
            _steal[1:] = [_steal_now()]
            _faults[1:] = [_faults_now()]

        _recorder.Recorder._close = _close

        class Line(collections.deque):  # type: ignore[type-arg]
            def __init__(self, engine):  # type: ignore[no-untyped-def]
                super().__init__()
                self.engine = engine

            def append(self, due):  # type: ignore[no-untyped-def]
                _queued.append((due, len(self.engine.conns), self.engine.inflight))
                super().append(due)

        init = _engine.Engine.__init__

        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            init(self, *args, **kwargs)
            self.waiting = Line(self)

        _engine.Engine.__init__ = __init__
        _timed(_recorder.Recorder, "_close", "window")
        _timed(_engine.Engine, "_sweep", "sweep")
        if "servesize.load._multi" in sys.modules:
            from servesize.load import _multi

            _timed(_multi.Connection, "send", "pipe")

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
        sched = _read("/proc/self/schedstat")
        if len(_sched) == 2:  # the sender's, over its measured windows
            sched = [b - a for a, b in zip(*_sched, strict=True)]
        out = os.path.join(os.environ["TRACE_DIR"], f"{os.getpid()}.json")
        with open(out, "w") as f:
            json.dump(
                {
                    "sends": _log,
                    "gc": _gc,
                    "stalls": _stalls,
                    "queued": _queued,
                    "schedstat": sched,
                    "steal_ticks": _steal_delta(),
                    "faults": [b - a for a, b in zip(*_faults, strict=True)]
                    if len(_faults) == 2
                    else None,
                    "threads": threading.active_count(),
                },
                f,
            )

    atexit.register(_dump)
