"""Several real processes registering into one workspace at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from servesize.workspace import Store

WRITER = """
import sys
from pathlib import Path
from servesize.workspace import Store

store = Store.open(Path(sys.argv[1]))
ids = []
for i in range(int(sys.argv[3])):
    ids.append(store.models.register("shared", Path(sys.argv[2]), tags={"writer": sys.argv[4]}).id)
    ids.append(store.datasets.register("shared", [sys.argv[4], str(i)]).id)
print(" ".join(ids))
"""

PROCESSES, EACH = 6, 5


def test_concurrent_writers_get_distinct_consecutive_versions(tmp_path: Path) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"x" * 100_000)
    workspace = tmp_path / "fresh-ws"  # created by the racing writers themselves
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(workspace), str(model), str(EACH), f"w{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            outputs.append(out.split())
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    total = PROCESSES * EACH
    model_ids = sorted(i for out in outputs for i in out if i.startswith("shared:"))
    assert len(model_ids) == 2 * total  # model and dataset ids share the shape
    store = Store.open(workspace)
    models = store.models.list("shared")
    assert [m.version for m in models] == list(range(1, total + 1))
    datasets = store.datasets.list("shared")
    assert [d.version for d in datasets] == list(range(1, total + 1))
    per_writer = {f"w{n}": 0 for n in range(PROCESSES)}
    for m in models:
        per_writer[m.tags["writer"]] += 1
    assert set(per_writer.values()) == {EACH}
    assert len({tuple(store.datasets.rows(d.id)) for d in datasets}) == total
    blobs = [p for p in (workspace / "artifacts" / "sha256").rglob("*") if p.is_file()]
    assert len(blobs) == 1 + total  # one model blob shared by every version
    assert not list((workspace / "artifacts" / "tmp").glob("put-*"))
