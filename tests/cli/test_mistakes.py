"""Every user mistake: one line on stderr, a non-zero exit code, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Run


def _mistakes(files: Path) -> list[tuple[list[str], int, str]]:
    f = str(files)
    return [
        (["model", "list"], 3, "no workspace at"),
        (["model", "show", "-i", "m"], 3, "no workspace at"),
        (["model", "register", "-n", "m", "-p", f + "/missing.bin"], 3, "no such file"),
        (["model", "register", "-n", "../x", "-p", f + "/model.bin"], 2, "invalid model name"),
        (["model", "register", "-n", "a/b", "-p", f + "/model.bin"], 2, "invalid model name"),
        (["model", "register", "-n", "", "-p", f + "/model.bin"], 2, "invalid model name"),
        (
            ["model", "register", "-n", "m", "-p", f + "/model.bin", "--tag", "novalue"],
            2,
            "KEY=VALUE",
        ),
        (["model", "register", "-n", "m", "-p", f + "/model.bin", "--tag", "=v"], 2, "KEY=VALUE"),
        (["model", "show", "-i", "m:x"], 2, "version"),
        (["dataset", "register", "-n", "d", "-f", f + "/empty.txt"], 2, "no rows"),
        (["dataset", "register", "-n", "d", "-f", f + "/missing.txt"], 3, "no such file"),
        (
            ["dataset", "register", "-n", "d", "-f", f + "/model.bin", "--format", "jsonl"],
            2,
            "not JSON",
        ),
        (
            ["dataset", "register", "-n", "d", "-f", f + "/requests.csv", "--format", "csv"],
            2,
            "columns",
        ),
        (["dataset", "register", "-n", "d", "-f", f], 2, "folder"),
        (["environment", "register", "-n", "e"], 2, "exactly one of"),
        (
            [
                "environment",
                "register",
                "-n",
                "e",
                "--pip-requirements",
                f + "/requirements.txt",
                "--env",
                "X",
            ],
            2,
            "KEY=VALUE",
        ),
        (["environment", "register", "-n", "e", "--conda-file", f + "/model.bin"], 2, "conda"),
        (
            ["environment", "register", "-n", "e", "--pip-requirements", f + "/nope.txt"],
            3,
            "no such file",
        ),
    ]


def test_each_mistake_is_one_line(run: Run, files: Path) -> None:
    for args, code, message in _mistakes(files):
        result = run(*args)
        assert (result.code, result.out) == (code, ""), args
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, (args, result.err)
        assert lines[0].startswith("error: "), (args, lines)
        assert message in lines[0], (args, lines)
        assert "Traceback" not in result.err


def test_unknown_ids_after_something_exists(run: Run, files: Path, tmp_path: Path) -> None:
    assert run("model", "register", "-n", "m", "-p", str(files / "model.bin")).code == 0
    for args in (
        ["model", "show", "-i", "m:9"],
        ["model", "delete", "-i", "nope"],
        ["model", "update", "-i", "m:9", "--add-tag", "a=b"],
        ["model", "download", "-i", "m:9", "-t", str(tmp_path)],
        ["dataset", "show", "-i", "d"],
        ["environment", "show", "-i", "e:1"],
    ):
        result = run(*args)
        assert result.code == 3, args
        assert len(result.err.strip().splitlines()) == 1
    run("model", "download", "-i", "m", "-t", str(tmp_path / "t"))
    again = run("model", "download", "-i", "m", "-t", str(tmp_path / "t"))
    assert again.code == 4
    assert "--overwrite" in again.err
    assert run("model", "download", "-i", "m", "-t", str(tmp_path / "t"), "--overwrite").code == 0


@pytest.mark.parametrize("key", ["--add-property"])
def test_changing_a_property_is_refused(run: Run, files: Path, key: str) -> None:
    run("model", "register", "-n", "m", "-p", str(files / "model.bin"), "--property", "p=1")
    result = run("model", "update", "-i", "m", key, "p=2")
    assert result.code == 2
    assert "cannot be changed" in result.err
