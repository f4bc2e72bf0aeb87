from __future__ import annotations

from pathlib import Path

import pytest

from servesize.errors import InvalidNameError
from servesize.workspace import Store, parse_id, validate_name

BAD = ["", "../x", "a/b", "a\\b", ".hidden", "-dash", "x" * 256, "a b", "a:b", "é"]


@pytest.mark.parametrize("name", BAD)
def test_bad_names_are_refused_with_one_line(name: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        validate_name(name)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["a", "A.b_c-1", "9lives", "x" * 255])
def test_good_names(name: str) -> None:
    assert validate_name(name) == name


def test_ids() -> None:
    assert parse_id("m") == ("m", None)
    assert parse_id("m.v2:12") == ("m.v2", 12)
    assert parse_id("m:latest") == ("m", None)


@pytest.mark.parametrize("name", ["../x", "a/b", ""])
def test_no_registry_or_log_path_accepts_a_bad_name(tmp_path: Path, name: str) -> None:
    store = Store.open(tmp_path / "ws")
    source = tmp_path / "f"
    source.write_text("x")
    for call in (
        lambda: store.models.register(name, source),
        lambda: store.datasets.register(name, ["x"]),
        lambda: store.environments.register(name),
        lambda: store.profiles.create(name, None, {}),
        lambda: store.profile_log_path(name),
    ):
        with pytest.raises(InvalidNameError):
            call()
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "ws").exists()  # refused before anything was written
