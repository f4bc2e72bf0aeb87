from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from servesize.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> Run:
    """Run the real console entry point in-process, as `servesize ARGS --workspace WS`."""

    def invoke(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["servesize", *args, "--workspace", str(workspace)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "files"
    root.mkdir()
    (root / "model.bin").write_bytes(b"weights")
    (root / "requests.txt").write_text(
        '{"data": [[1, 2]]}\n{"data": [[3, 4]]}\n\n{"data": [[5, 6]]}\n'
    )
    (root / "requests.jsonl").write_text('{"a": 1}\n[1, 2]\n')
    (root / "requests.csv").write_text('id,body\n1,"{""x"": 1}"\n')
    (root / "requirements.txt").write_text("numpy\n")
    (root / "env.yml").write_text("dependencies:\n  - pip:\n    - joblib\n")
    (root / "empty.txt").write_text("\n")
    return root
