"""The entry-script check before a profile agrees with the loader of the service."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from servesize.errors import EntryScriptError, NotFoundError
from servesize.profiling import check_entry_script
from servesize.serving._script import load_entry_script

HELPERS = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"

VALID = {
    "star_import": "from helpers import *\n",
    "def_in_with": (
        "import contextlib\n\n"
        "with contextlib.suppress(ImportError):\n"
        "    def init():\n        pass\n\n"
        "    def run(data):\n        return data\n"
    ),
    "tuple_assignment": "import helpers\n\ninit = helpers.init\nrun, x = helpers.run, 1\n",
}

HERE = Path(__file__).parent
FIXTURES = sorted(
    [*(HERE / "scripts").glob("*.py"), *(HERE.parent / "serving/scripts").glob("*.py")]
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "helpers.py").write_text(HELPERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "helpers", raising=False)
    return tmp_path


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_scripts_the_loader_accepts_pass_the_check(folder: Path, kind: str) -> None:
    script = folder / f"{kind}.py"
    script.write_text(VALID[kind])
    check_entry_script(script)
    loaded = load_entry_script(script)  # the service's own check agrees
    assert loaded.run("x") == "x"


def test_a_script_without_run_is_refused_in_one_line(tmp_path: Path) -> None:
    script = tmp_path / "score.py"
    script.write_text("def init():\n    pass\n\n\ndef score(data):\n    return data\n")
    with pytest.raises(EntryScriptError, match=r"does not define run\(\)$"):
        check_entry_script(script)
    with pytest.raises(EntryScriptError, match="run"):
        load_entry_script(script)


def test_missing_and_unparsable_scripts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        check_entry_script(tmp_path / "nope.py")
    broken = tmp_path / "broken.py"
    broken.write_text("def run(:\n")
    with pytest.raises(EntryScriptError, match="syntax error at line 1"):
        check_entry_script(broken)


@pytest.mark.parametrize("script", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_every_script_the_check_refuses_the_loader_refuses(script: Path) -> None:
    try:
        check_entry_script(script)
    except EntryScriptError:
        with pytest.raises(EntryScriptError):
            load_entry_script(script)
