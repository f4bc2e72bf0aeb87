"""``servesize serve`` reads plain arguments without typer's runtime (``_plain``): what
it reads must be what typer reads, and whatever it declines typer parses."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st

from servesize.cli._plain import plain_params
from servesize.cli.serve import serve, serve_app

COMMAND = typer.main.get_command(serve_app)
NAMES = sorted({name for param in COMMAND.params for name in param.opts})
# values typer reads in more than one way, or refuses: signs, blanks, exponents,
# non-ASCII digits, names of options
VALUES = ["7", "007", "0", "1.5", "1.", ".5", "1e3", "-1", "+2", " 3", "", "x", "a b", "٣",
          "nan", "inf", "s.py", "/tmp/d", "--port", "-m", "=", "true"]  # fmt: skip
TOKENS = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(VALUES),
    st.builds(lambda n, v: f"{n}={v}", st.sampled_from(NAMES), st.sampled_from(VALUES)),
    st.sampled_from(["--help", "--", "-mx", "--no-access-log", "--entry", "serve"]),
)


def _typer_reads(args: list[str]) -> dict[str, object]:
    return dict(COMMAND.make_context("serve", list(args)).params)


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, max_size=8))
def test_what_it_reads_typer_reads_the_same(args: list[str]) -> None:
    plain = plain_params(COMMAND, serve, ["--entry-script", "s.py", *args])
    if plain is not None:
        assert plain == _typer_reads(["--entry-script", "s.py", *args])


@pytest.mark.parametrize(
    "args",
    [
        ["--entry-script", "score.py"],
        ["--entry-script=score.py", "--port", "0", "--workers", "2", "--access-log"],
        ["--entry-script", "s.py", "-m", "a:1", "--model", "b:2", "-e", "env:3"],
        ["--entry-script", "s.py", "--header-timeout", "2.5", "--host", "0.0.0.0"],
        ["--source-directory", "src", "--entry-script", "s.py", "--max-connections", "10"],
    ],
)
def test_the_forms_users_type_skip_typer(args: list[str]) -> None:
    plain = plain_params(COMMAND, serve, args)
    assert plain is not None
    assert plain == _typer_reads(args)


@pytest.mark.parametrize(
    "args",
    [
        [],  # typer shows the help
        ["--help"],
        ["--port", "0"],  # --entry-script missing: typer's error
        ["--entry-script", "s.py", "--port", "-1"],
        ["--entry-script", "s.py", "--port", "5", "--port", "6"],
        ["--entry-script", "s.py", "--prot", "5"],
        ["--entry-script", "s.py", "extra"],
    ],
)
def test_the_rest_is_left_to_typer(args: list[str]) -> None:
    assert plain_params(COMMAND, serve, args) is None


def test_a_value_from_the_environment_is_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVESIZE_WORKSPACE", str(Path("elsewhere")))
    assert plain_params(COMMAND, serve, ["--entry-script", "s.py"]) is None
