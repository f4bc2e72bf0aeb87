"""examples/profile.ipynb, executed as Jupyter executes it: nbclient and a real ipykernel.

The notebook runs as written except for its parameters: a cell injected after the one
tagged ``parameters`` (papermill's convention) gives it a workspace of its own, the
short profile settings of the other profile tests, and this interpreter's packages
instead of a build of the pinned environment (no network). The model is trained here,
as tests/sdk/test_example.py does, with the scikit-learn that serves it.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config import Config

from profiling.quick import ONE_CAPACITY_STEP

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SHORT: dict[str, Any] = {
    **ONE_CAPACITY_STEP,
    "min_duration": 2.0,
    "min_queries": 20,
    "sizing": False,  # the sizing search has tests of its own (tests/profiling/)
    "confirm": False,
}


def _inject(notebook: Any, values: dict[str, Any]) -> None:
    tagged = [i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "the notebook has one cell tagged 'parameters'"
    source = "\n".join(f"{key} = {value!r}" for key, value in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(tagged[0] + 1, cell)


def _outputs(cell: Any, kind: str) -> list[Any]:
    return [o for o in cell.outputs if o.output_type == kind]


def _result(cell: Any) -> Any:
    """The value a cell's last expression showed."""
    (result,) = _outputs(cell, "execute_result")
    return result.data


@pytest.mark.untimed
def test_the_example_notebook_runs_end_to_end(tmp_path: Path) -> None:
    folder = tmp_path / "examples"  # a copy: the report is written next to the notebook
    folder.mkdir()
    for name in ("score.py", "requirements.txt", "sample-requests.txt", "profile.ipynb"):
        shutil.copy(EXAMPLES / name, folder / name)
    sys.path.insert(0, str(EXAMPLES))
    try:
        importlib.import_module("train").train(folder / "model" / "model.joblib")
    finally:
        sys.path.remove(str(EXAMPLES))
        sys.modules.pop("train", None)
    notebook = nbformat.read(folder / "profile.ipynb", as_version=4)
    _inject(
        notebook,
        {
            "workspace_path": str(tmp_path / "ws"),
            "profile_name": "notebook",
            "settings": SHORT,
            "user_managed_dependencies": True,
        },
    )
    # the kernel's sockets are files (no TCP ports to race other tests for)
    sockets = Config({"KernelManager": {"transport": "ipc", "ip": str(tmp_path / "kernel")}})
    client = NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        config=sockets,
    )
    client.execute()

    code = [c for c in notebook.cells if c.cell_type == "code"]
    for cell in code:  # no warning, no traceback, nothing on stderr
        assert not _outputs(cell, "error"), cell.source
        assert all(o.name != "stderr" for o in _outputs(cell, "stream")), cell.source
    by_source = {c.source.splitlines()[0]: c for c in code}
    follow = by_source[next(s for s in by_source if s.startswith("name = profile_name"))]

    # the progress: one display, updated in place, as HTML and text without terminal codes
    assert _result(follow)["text/plain"] == "'Succeeded'"
    (bars,) = _outputs(follow, "display_data")
    text = bars.data["text/plain"]
    phases = [line.split()[0] for line in text.splitlines()]
    assert phases[:2] == ["Prepare", "Cold"]
    assert "Measurement" in phases
    assert "\r" not in text
    assert "\x1b" not in text
    assert "Measurement" in bars.data["text/html"]

    details_cell = by_source["details = profile.get_details()"]
    cpu, memory, requested = ast.literal_eval(_result(details_cell)["text/plain"])
    assert cpu > 0
    assert memory > 0
    assert requested == 0.5

    machine_cell = by_source['details["cpuSecondsPerQuery"], details["machine"]["cpuModel"]']
    assert _result(machine_cell)["text/plain"].startswith("(0.")

    report = folder / "notebook.html"
    assert report.is_file()
    assert "<html" in report.read_text(encoding="utf-8")[:500].lower()
    shown = _result(by_source['profile.report(f"{name}.html")'])
    assert "<strong>Profile &#x27;notebook&#x27;</strong>: Succeeded, " in shown["text/html"]
    assert '<a href="notebook.html" target="_blank">notebook.html</a>' in shown["text/html"]
    assert "cores" in shown["text/html"]
    assert shown["text/plain"] == "ModelProfile(name='notebook', state='Succeeded')"
