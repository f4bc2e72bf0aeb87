from __future__ import annotations

from pathlib import Path

import pytest

from servesize import Dataset, Model, PromoteHeadersBehavior, Workspace
from servesize.errors import AlreadyExistsError, InvalidInputError, NotFoundError


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"pickled")
    return path


def test_model_api_as_azure_notebooks_call_it(ws: Workspace, weights: Path, tmp_path: Path) -> None:
    model = Model.register(
        workspace=ws,
        model_path=str(weights),
        model_name="sk",
        tags={"area": "diabetes"},
        properties={"owner": "me"},
        description="forest",
        model_framework="ScikitLearn",  # Azure-only, accepted
    )
    assert (model.id, model.name, model.version) == ("sk:1", "sk", 1)
    assert (model.tags, model.properties, model.description) == (
        {"area": "diabetes"},
        {"owner": "me"},
        "forest",
    )
    model.add_tags({"requestedCpu": 0.5, "requestedMemoryInGb": 0.2})
    model.remove_tags(["area"])
    model.add_properties({"trained": "yes"})
    again = Model(ws, name="sk")
    assert again.tags == {"requestedCpu": "0.5", "requestedMemoryInGb": "0.2"}
    assert again.properties == {"owner": "me", "trained": "yes"}
    assert Model(ws, id="sk:1") == again
    assert Model(ws, name="sk", version=1).created_time == model.created_time
    assert Path(model.download(tmp_path / "dl")).read_bytes() == b"pickled"
    with pytest.raises(AlreadyExistsError):
        model.download(tmp_path / "dl")
    Model.register(ws, weights, "sk")
    assert [m.id for m in Model.list(ws)] == ["sk:1", "sk:2"]
    assert [m.id for m in Model.list(ws, latest=True)] == ["sk:2"]
    assert [m.id for m in Model.list(ws, tags=[["requestedCpu", "0.5"]])] == ["sk:1"]
    assert set(ws.models) == {"sk"}
    with pytest.raises(InvalidInputError):
        Model(ws)
    with pytest.raises(NotFoundError):
        Model(ws, name="sk", version=9)


def test_get_model_path_inside_a_running_script(
    ws: Workspace, weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Model.register(ws, weights, "a")
    Model.register(ws, weights, "b")
    Model.register(ws, weights, "b")
    single = ws.store.models.materialize(["a"], tmp_path / "one")
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(single))
    assert Model.get_model_path("a") == str(single / "model.pkl")
    several = ws.store.models.materialize(["a", "b:1", "b:2"], tmp_path / "many")
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(several))
    assert Model.get_model_path("b") == str(several / "b" / "2" / "model.pkl")
    assert Model.get_model_path("b", version=1) == str(several / "b" / "1" / "model.pkl")
    with pytest.raises(NotFoundError):
        Model.get_model_path("b", version=5)
    monkeypatch.delenv("AZUREML_MODEL_DIR")
    with pytest.raises(NotFoundError, match="AZUREML_MODEL_DIR"):
        Model.get_model_path("a")


def test_seed_idiom_lines_without_header(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "requests.txt"
    path.write_text('{"data": [[1, 2, 3]]}\n{"data": [[4, 5, 6]]}\n')
    dataset = Dataset.Tabular.from_delimited_files(
        path=str(path), separator="\n", header=PromoteHeadersBehavior.NO_HEADERS
    )
    assert dataset.id is None
    registered = dataset.register(workspace=ws, name="req", create_new_version=True)
    assert registered.id == "req:1"
    loaded = Dataset.get_by_name(ws, name="req")
    assert loaded.rows() == ['{"data": [[1, 2, 3]]}', '{"data": [[4, 5, 6]]}']
    with pytest.raises(AlreadyExistsError):
        dataset.register(ws, "req")  # Azure's default create_new_version=False
    dataset.register(ws, "req", create_new_version=True)
    assert Dataset.get_by_name(ws, "req", version=1).id == "req:1"
    assert Dataset.get_by_name(ws, "req").id == "req:2"
    assert Dataset.get_by_id(ws, "req:2").rows() == loaded.rows()


@pytest.mark.parametrize(
    "header",
    [True, "all_files_have_same_headers", 3, PromoteHeadersBehavior.COMBINE_ALL_FILES_HEADERS],
)
def test_header_values_drop_the_first_line(tmp_path: Path, header: object) -> None:
    path = tmp_path / "r.txt"
    path.write_text("body\nx\ny\n")
    dataset = Dataset.Tabular.from_delimited_files(path, separator="\n", header=header)  # type: ignore[arg-type]
    assert (dataset.columns, dataset.rows()) == (["body"], ["x", "y"])


def test_several_files_and_only_first_header(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("h\n1\n")
    (tmp_path / "b.txt").write_text("2\n3\n")
    dataset = Dataset.Tabular.from_delimited_files(
        [tmp_path / "a.txt", tmp_path / "b.txt"],
        separator="\n",
        header="only_first_file_has_headers",
    )
    assert dataset.rows() == ["1", "2", "3"]
    globbed = Dataset.Tabular.from_delimited_files(
        str(tmp_path / "*.txt"), separator="\n", header=False
    )
    assert globbed.rows() == ["h", "1", "2", "3"]


def test_csv_with_several_columns_needs_keep_columns(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('id,body\n1,"{""a"": 1}"\n2,"{""a"": 2}"\n')
    dataset = Dataset.Tabular.from_delimited_files(path)
    with pytest.raises(InvalidInputError, match="2 columns"):
        dataset.register(ws, "req")
    assert dataset.keep_columns("body").register(ws, "req").rows() == ['{"a": 1}', '{"a": 2}']
    assert dataset.drop_columns(["body"]).rows() == ["1", "2"]
    assert len(dataset.take(1)) == 1


def test_json_lines_files(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"data": [[1]]}\nnot json\n[2]\n')
    with pytest.raises(InvalidInputError, match="line 2"):
        Dataset.Tabular.from_json_lines_files(path)
    dropped = Dataset.Tabular.from_json_lines_files(path, invalid_lines="drop")
    assert dropped.rows() == ['{"data": [[1]]}', "[2]"]


def test_dataset_mistakes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(InvalidInputError, match="no rows"):
        Dataset.Tabular.from_delimited_files(empty, separator="\n", header=False)
    with pytest.raises(NotFoundError):
        Dataset.Tabular.from_delimited_files(tmp_path / "missing.txt", separator="\n")
    with pytest.raises(NotFoundError):
        Dataset.Tabular.from_delimited_files(str(tmp_path / "*.nothing"))
    with pytest.raises(InvalidInputError, match="header"):
        Dataset.Tabular.from_delimited_files(empty, header="sometimes")
