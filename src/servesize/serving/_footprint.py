"""The host's own idle memory: what a no-op ``score.py`` costs, so a profile can tell the
model's memory from the server's (issue 9).

Measured by really starting ``python -m servesize.serving`` on a no-op script and summing
RSS over its process tree (the same sum the profiler uses without cgroups), once per
interpreter, servesize version and worker count; the figure is cached in
``$XDG_CACHE_HOME/servesize/host-idle-memory.json`` (``~/.cache`` by default).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["host_idle_memory_bytes"]

_NOOP = "def init():\n    pass\n\n\ndef run(data):\n    return None\n"
_PAGE = os.sysconf("SC_PAGE_SIZE")
_STARTUP_SECONDS = 30.0


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "servesize" / "host-idle-memory.json"


def _key(python: str, workers: int) -> str:
    from servesize import __version__

    stamp = os.stat(python).st_mtime_ns if os.path.exists(python) else 0
    return f"{os.path.abspath(python)}|{stamp}|{__version__}|{workers}"


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (a /proc scan: no psutil in the host's package)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                data = Path(f"/proc/{entry}/stat").read_bytes()
                parents[int(entry)] = int(data[data.rfind(b")") + 2 :].split()[1])
    members, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        members += frontier
    return members


def _rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_bytes().split()[1]) * _PAGE
    return total


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _measure(python: str, workers: int) -> int:
    with tempfile.TemporaryDirectory(prefix="servesize-host-") as tmp:
        script = Path(tmp, "score.py")
        script.write_text(_NOOP, encoding="utf-8")
        argv = [python, "-m", "servesize.serving", "--entry-script", str(script)]
        argv += ["--port", "0", "--workers", str(workers)]
        proc = subprocess.Popen(
            argv, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            assert proc.stderr is not None
            deadline = time.monotonic() + _STARTUP_SECONDS
            for line in proc.stderr:  # the host logs its URL once every worker is ready
                if "Listening at http://" in line:
                    port = int(line.rsplit(":", 1)[1].split()[0])
                    break
                if time.monotonic() > deadline:
                    raise OSError("the no-op host did not start in time")
            else:
                raise OSError(f"the no-op host exited with code {proc.wait()}")
            if not _healthy(port):
                raise OSError("the no-op host does not answer GET /")
            return _rss(_tree(proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()


def host_idle_memory_bytes(python: str = sys.executable, workers: int = 1) -> int:
    """RSS of the scoring host serving a no-op script (measured once, then cached).

    Raises ``OSError`` if the host cannot be started with ``python``.
    """
    cache = _cache_file()
    key = _key(python, workers)
    known: dict[str, int] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(cache.read_text(encoding="utf-8"))
        known = {k: int(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    if key in known:
        return known[key]
    known[key] = _measure(python, workers)
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(known, indent=1), encoding="utf-8")
        os.replace(partial, cache)
    return known[key]
