from __future__ import annotations

import os
from pathlib import Path

import pytest

from servesize.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from servesize.workspace import Store


def _blobs(store: Store) -> set[str]:
    root = store.root / "artifacts" / "sha256"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.is_dir() else set()


def test_nothing_is_created_until_the_first_write(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "ws")
    with pytest.raises(NotFoundError, match="no workspace at"):
        store.models.list()
    assert not (tmp_path / "ws").exists()


def test_versions_count_up_per_name_and_no_version_means_latest(
    store: Store, model_file: Path
) -> None:
    first = store.models.register("m", model_file, tags={"a": 1})
    second = store.models.register("m", model_file, description="again")
    other = store.models.register("other", model_file)
    assert (first.id, second.id, other.id) == ("m:1", "m:2", "other:1")
    assert first.tags == {"a": "1"}  # Azure's tags are strings
    assert store.models.get("m").id == "m:2"
    assert store.models.get("m:latest").id == "m:2"
    assert store.models.get("m:1").description is None
    assert [r.id for r in store.models.list()] == ["m:1", "m:2", "other:1"]
    assert [r.id for r in store.models.list("m")] == ["m:1", "m:2"]
    assert first.created_time.tzinfo is not None


def test_a_deleted_version_number_is_never_reused(store: Store, model_file: Path) -> None:
    store.models.register("m", model_file)
    store.models.register("m", model_file)
    store.models.delete("m:2")
    assert store.models.register("m", model_file).id == "m:3"


def test_update_adds_and_removes_tags_and_refuses_changing_a_property(
    store: Store, model_file: Path
) -> None:
    store.models.register("m", model_file, tags={"keep": "1", "drop": "2"}, properties={"p": "x"})
    record = store.models.update(
        "m:1", add_tags={"new": 1.5}, remove_tags=["drop", "absent"], add_properties={"q": "y"}
    )
    assert record.tags == {"keep": "1", "new": "1.5"}
    assert record.properties == {"p": "x", "q": "y"}
    assert store.models.update("m", add_properties={"p": "x"}).properties["p"] == "x"
    with pytest.raises(InvalidInputError, match="cannot be changed"):
        store.models.update("m", add_properties={"p": "other"})
    with pytest.raises(InvalidInputError, match="string"):
        store.models.update("m", add_tags={"bad": {"nested": 1}})


def test_download_keeps_the_file_name_or_the_folder_tree(
    store: Store, model_file: Path, model_folder: Path, tmp_path: Path
) -> None:
    store.models.register("f", model_file)
    store.models.register("d", model_folder)
    out = tmp_path / "out"
    assert store.models.download("f", out) == out / "model.bin"
    assert (out / "model.bin").read_bytes() == b"weights-v1"
    assert store.models.download("d", out) == out / "bundle"
    assert (out / "bundle" / "sub" / "weights.bin").read_bytes() == b"weights-v1"
    with pytest.raises(AlreadyExistsError):
        store.models.download("f", out)
    (out / "model.bin").write_bytes(b"local edit")
    store.models.download("f", out, exist_ok=True)
    assert (out / "model.bin").read_bytes() == b"weights-v1"


def test_materialize_lays_out_azureml_model_dir(
    store: Store, model_file: Path, model_folder: Path, tmp_path: Path
) -> None:
    store.models.register("f", model_file)
    store.models.register("d", model_folder)
    single = store.models.materialize(["f"], tmp_path / "one")
    assert single == tmp_path / "one" / "f" / "1"
    assert (single / "model.bin").read_bytes() == b"weights-v1"
    several = store.models.materialize(["f:1", "d:1"], tmp_path / "many")
    assert several == tmp_path / "many"
    assert (several / "f" / "1" / "model.bin").is_file()
    assert (several / "d" / "1" / "bundle" / "config.json").read_text() == '{"layers": 2}'
    with pytest.raises(InvalidInputError):
        store.models.materialize([], tmp_path / "none")


def test_a_materialized_file_is_a_copy_not_the_stored_blob(
    store: Store, model_file: Path, tmp_path: Path
) -> None:
    store.models.register("f", model_file)
    folder = store.models.materialize(["f"], tmp_path / "run")
    (folder / "model.bin").write_bytes(b"scribbled by a script")
    assert store.models.download("f", tmp_path / "again").read_bytes() == b"weights-v1"


def test_same_bytes_are_stored_once_and_delete_keeps_shared_bytes(
    store: Store, model_file: Path, model_folder: Path
) -> None:
    store.models.register("f", model_file)
    store.models.register("f", model_file)
    store.models.register("d", model_folder)  # holds the same weights.bin bytes
    assert len(_blobs(store)) == 2  # weights + config.json
    store.models.delete("f:1")
    store.models.delete("f:2")
    assert len(_blobs(store)) == 2  # "d" still uses the weights
    store.models.delete("d")
    assert _blobs(store) == set()


def test_delete_keeps_bytes_a_dataset_also_uses(store: Store, tmp_path: Path) -> None:
    store.datasets.register("rows", ["a"])
    (blob,) = _blobs(store)
    same = tmp_path / "same.json"
    same.write_bytes(store.artifacts.path_of(blob).read_bytes())
    store.models.register("m", same)
    store.models.delete("m")
    assert store.datasets.rows("rows") == ["a"]


def test_register_refuses_missing_and_empty_sources(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such file"):
        store.models.register("m", tmp_path / "missing.bin")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="no files"):
        store.models.register("m", tmp_path / "empty")


def test_a_dot_dot_path_is_stored_under_its_real_name(store: Store, model_folder: Path) -> None:
    inner = model_folder / "sub"
    record = store.models.register("m", Path(os.path.join(inner, "..")))
    assert record.path_name == "bundle"


def test_unknown_ids(store: Store, model_file: Path) -> None:
    store.models.register("m", model_file)
    with pytest.raises(NotFoundError, match="m:7 not found"):
        store.models.get("m:7")
    with pytest.raises(NotFoundError, match="no model named 'zz'"):
        store.models.delete("zz")
    with pytest.raises(InvalidInputError, match="version"):
        store.models.get("m:0")
