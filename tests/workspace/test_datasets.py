from __future__ import annotations

from pathlib import Path

import pytest

from servesize.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from servesize.workspace import Store, read_dataset_file


def test_rows_round_trip_exactly(store: Store) -> None:
    rows = ['{"data": [[1, 2]]}', "plain text, with comma", "ünïcode", " spaced "]
    record = store.datasets.register("req", rows, description="d", tags={"k": "v"})
    assert (record.id, record.row_count, record.tags) == ("req:1", 4, {"k": "v"})
    assert store.datasets.rows("req") == rows
    assert store.datasets.register("req", rows[:1]).id == "req:2"
    assert [r.id for r in store.datasets.list()] == ["req:1", "req:2"]


def test_empty_and_non_string_rows_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="at least one row"):
        store.datasets.register("req", [])
    with pytest.raises(InvalidInputError, match="strings"):
        store.datasets.register("req", [1, 2])  # type: ignore[list-item]


def test_create_new_version_false_refuses_a_taken_name(store: Store) -> None:
    store.datasets.register("req", ["a"], create_new_version=False)
    with pytest.raises(AlreadyExistsError):
        store.datasets.register("req", ["b"], create_new_version=False)


def test_lines_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text('{"a": 1}\n\n  \r\n{"a": 2}\r\nlast')
    assert read_dataset_file(path) == ['{"a": 1}', '{"a": 2}', "last"]


def test_jsonl_keeps_each_value_as_its_text(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"data": [[1,2]]}\n[1, 2]\n"s"\n\n3\n')
    assert read_dataset_file(path, "jsonl") == ['{"data": [[1,2]]}', "[1, 2]", '"s"', "3"]
    path.write_text('{"ok": 1}\n{broken\n')
    with pytest.raises(InvalidInputError, match="line 2: not JSON"):
        read_dataset_file(path, "jsonl")


def test_csv_takes_one_named_column(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('id,body\n1,"{""data"": [[1, 2]]}"\n2,hello\n')
    assert read_dataset_file(path, "csv", "body") == ['{"data": [[1, 2]]}', "hello"]
    with pytest.raises(InvalidInputError, match="2 columns"):
        read_dataset_file(path, "csv")
    with pytest.raises(InvalidInputError, match="no column 'nope'"):
        read_dataset_file(path, "csv", "nope")
    single = tmp_path / "one.csv"
    single.write_text("body\nx\ny\n")
    assert read_dataset_file(single, "csv") == ["x", "y"]


@pytest.mark.parametrize(("content", "fmt"), [("", "lines"), ("\n\n", "lines"), ("h\n", "csv")])
def test_a_file_without_rows_is_an_error(tmp_path: Path, content: str, fmt: str) -> None:
    path = tmp_path / "empty"
    path.write_text(content)
    with pytest.raises(InvalidInputError, match="no rows"):
        read_dataset_file(path, fmt)  # type: ignore[arg-type]


def test_file_mistakes(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        read_dataset_file(tmp_path / "missing.txt")
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InvalidInputError, match="not utf-8 text"):
        read_dataset_file(binary)
    with pytest.raises(InvalidInputError, match="format"):
        read_dataset_file(binary, "parquet")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="csv"):
        read_dataset_file(binary, "lines", column="x")
