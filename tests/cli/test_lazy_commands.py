"""The CLI imports a command's module only when that command runs (``_app.COMMANDS``):
``servesize serve`` execs the lean host, ``servesize --help`` lists from the table.
What ``servesize serve`` imports before its exec is its start-up cost (bench/cli_start.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from servesize.cli import app
from servesize.cli._app import COMMANDS
from servesize.serving import INIT_FAILED_EXIT_CODE

SERVESIZE = Path(sys.executable).parent / "servesize"

# Loaded only by what `servesize serve` hands over to (the host re-imports the server
# after the exec) or by other commands: none of it may be paid for before the exec.
_NOT_BEFORE_EXEC = (
    "rich",  # the consoles: printing and errors only
    "pydantic",  # typer's option validation: plain arguments are read without it
    "importlib.metadata",
    "sqlite3",
    "numpy",
    "servesize.serving",  # the host checks its own options
    "servesize.sdk",
    "servesize.profiling",
    "servesize.environments",
    "servesize.report",
    "servesize.load",
    "servesize.workspace._store",  # the registries: only `-m` opens the workspace
    "servesize.workspace._figures",
)

# Runs the console entry point in a fresh interpreter, then prints which servesize
# modules (and whether numpy) it imported.
_PROBE = """
import json, sys
from servesize.cli import main
sys.argv = ["servesize", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith(("servesize", "numpy")))
print("\\nMODULES " + json.dumps(loaded))
"""


def _imported(*args: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    out, _, modules = done.stdout.rpartition("\nMODULES ")
    return out, set(json.loads(modules))


def test_help_lists_every_command_with_its_help_and_imports_none() -> None:
    out, modules = _imported("--help")
    for name, command in COMMANDS.items():
        assert name in out
        assert command.help in out
    assert not {f"servesize.cli.{m}" for c in COMMANDS.values() for m in c.modules} & modules
    assert "numpy" not in modules


def test_serve_imports_only_its_own_command() -> None:
    out, modules = _imported("serve", "--help")
    assert COMMANDS["serve"].help in out
    assert "servesize.cli.serve" in modules
    others = {f"servesize.cli.{m}" for n, c in COMMANDS.items() if n != "serve" for m in c.modules}
    assert not others & modules
    assert not {"servesize.sdk", "servesize.profiling", "numpy"} & modules


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_tables_help_is_the_commands_own(name: str) -> None:
    # what --help shows from the table is what the command shows once imported
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert COMMANDS[name].help in result.output


def test_a_typo_is_told_the_nearest_command() -> None:
    result = CliRunner().invoke(app, ["modle"])
    assert result.exit_code == 2
    assert "Did you mean 'model'?" in result.output


# Runs the installed console script as it is, and prints the modules loaded at the
# moment it execs (the audit event of os.execv), so the exec'd host's own do not count.
_EXEC_PROBE = """
import json, runpy, sys
def report(event, args):
    if event == "os.exec":
        print("MODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr, flush=True)
sys.addaudithook(report)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_serve_execs_the_host_having_imported_only_the_parser(tmp_path: Path) -> None:
    # The host runs the script, whose init() fails: the run ends without a server.
    script = tmp_path / "score.py"
    script.write_text("def init():\n    raise RuntimeError('no model')\n\n\ndef run(raw): ...\n")
    argv = [str(SERVESIZE), "serve", "--entry-script", str(script), "--port", "0"]
    done = subprocess.run(
        [sys.executable, "-c", _EXEC_PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report, _, host_log = done.stderr.partition("\n")
    assert report.startswith("MODULES "), done.stderr
    assert done.returncode == INIT_FAILED_EXIT_CODE
    assert host_log.endswith("error: init() failed: RuntimeError: no model\n"), host_log
    imported = set(json.loads(report.removeprefix("MODULES ")))
    assert "servesize.cli.serve" in imported
    assert not {m for m in imported for p in _NOT_BEFORE_EXEC if m == p or m.startswith(p + ".")}
