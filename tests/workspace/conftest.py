from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from servesize.workspace import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "ws") as opened:
        yield opened


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "model.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"weights-v1")
    return path


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    root = tmp_path / "src" / "bundle"
    (root / "sub").mkdir(parents=True)
    (root / "config.json").write_text('{"layers": 2}')
    (root / "sub" / "weights.bin").write_bytes(b"weights-v1")  # same bytes as model_file
    return root
