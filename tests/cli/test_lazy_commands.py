"""The CLI imports a command's module only when that command runs (``_app.COMMANDS``):
``servesize serve`` execs the lean host, ``servesize --help`` lists from the table."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from servesize.cli import app
from servesize.cli._app import COMMANDS

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
