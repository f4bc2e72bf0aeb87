from __future__ import annotations

import os
from pathlib import Path

import pytest

from servesize import DataPath, Dataset, Datastore, Workspace
from servesize.errors import InvalidInputError, InvalidNameError, NotFoundError


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text('{"x": 1}\n{"x": 2}\n')
    (src / "sub" / "b.txt").write_text('{"x": 3}\n')
    return src


def test_upload_files_keeps_paths_below_their_common_folder(ws: Workspace, files: Path) -> None:
    store = Datastore.get_default(ws)
    assert store == ws.get_default_datastore() == Datastore.get(ws, "workspaceblobstore")
    ref = store.upload_files([files / "a.txt", files / "sub" / "b.txt"], target_path="req")
    assert (store.root / "req" / "a.txt").read_text() == '{"x": 1}\n{"x": 2}\n'
    assert (store.root / "req" / "sub" / "b.txt").is_file()
    assert store.root == ws.path / "datastores" / "workspaceblobstore"
    assert ws.store.exists()  # uploading created the workspace
    assert (ref.datastore, ref.path_on_datastore) == (store, "req")


def test_existing_files_are_skipped_unless_overwrite(
    ws: Workspace, files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ws.get_default_datastore()
    store.upload_files([str(files / "a.txt")], target_path="t", show_progress=False)
    (files / "a.txt").write_text("new\n")
    store.upload_files([str(files / "a.txt")], target_path="t")
    assert "Skipping upload" in capsys.readouterr().out
    assert (store.root / "t" / "a.txt").read_text() != "new\n"
    store.upload_files([str(files / "a.txt")], target_path="t", overwrite=True)
    assert (store.root / "t" / "a.txt").read_text() == "new\n"


def test_upload_a_folder_and_download_it(ws: Workspace, files: Path, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    store.upload(files, target_path="tree", show_progress=False)
    assert sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*.txt")) == [
        "tree/a.txt",
        "tree/sub/b.txt",
    ]
    assert store.download(tmp_path / "out", prefix="tree/sub", show_progress=False) == 1
    assert (tmp_path / "out" / "tree" / "sub" / "b.txt").is_file()


@pytest.mark.parametrize("target", ["../x", "a/../../x", "/etc", "..", "C:/x"])
def test_paths_that_leave_the_datastore_are_refused(
    ws: Workspace, files: Path, target: str
) -> None:
    store = ws.get_default_datastore()
    with pytest.raises(InvalidInputError, match="inside the datastore"):
        store.upload_files([files / "a.txt"], target_path=target, show_progress=False)
    with pytest.raises(InvalidInputError):
        Dataset.Tabular.from_delimited_files([(store, target)], separator="\n")
    assert not (ws.path / "x").exists()


def test_a_symlink_out_of_the_datastore_is_refused(ws: Workspace, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    store.root.mkdir(parents=True)
    os.symlink(tmp_path, store.root / "link")
    with pytest.raises(InvalidInputError, match="outside the datastore"):
        store.path("link/anything")


def test_datastore_names_are_checked(ws: Workspace) -> None:
    with pytest.raises(InvalidNameError):
        Datastore.get(ws, "../other")
    with pytest.raises(NotFoundError, match="no datastore 'mine'"):
        Datastore.get(ws, "mine")
    mine = Datastore.register_azure_blob_container(ws, "mine", "container", account_name="x")
    assert Datastore.get(ws, "mine") == mine
    assert set(ws.datastores) == {"mine", "workspaceblobstore", "workspacefilestore"}


def test_datasets_read_datastore_tuples_globs_and_datapaths(ws: Workspace, files: Path) -> None:
    store = ws.get_default_datastore()
    store.upload(files, target_path="r", show_progress=False)
    one = Dataset.Tabular.from_delimited_files((store, "r/a.txt"), separator="\n", header=False)
    assert one.rows() == ['{"x": 1}', '{"x": 2}']
    many = Dataset.Tabular.from_json_lines_files([(store, "r/a.txt"), (store, "r/sub/*.txt")])
    assert many.rows() == ['{"x": 1}', '{"x": 2}', '{"x": 3}']
    folder = Dataset.Tabular.from_delimited_files(
        DataPath(store, "r"), separator="\n", header=False
    )
    assert len(folder) == 3
    assert (
        len(
            Dataset.Tabular.from_delimited_files(
                [store.path("r/sub")], separator="\n", header=False
            )
        )
        == 1
    )
    with pytest.raises(InvalidInputError, match="expected a file path"):
        Dataset.Tabular.from_delimited_files([(object(), "r/a.txt")], separator="\n")
    with pytest.raises(NotFoundError):
        Dataset.Tabular.from_delimited_files([(store, "r/none*.txt")], separator="\n")
