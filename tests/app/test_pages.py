"""Every page through Streamlit's AppTest on the tiny data root and prediction files of conftest."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import trimesh
from streamlit.testing.v1 import AppTest

MAIN = Path(__file__).resolve().parents[2] / "app" / "main.py"


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path, predictions: tuple[Path, Path]):
    monkeypatch.setenv("SPARE3D_APP_DATA", str(data_root))
    monkeypatch.setenv("SPARE3D_APP_PREDICTIONS", os.pathsep.join(str(p) for p in predictions))
    monkeypatch.setenv("SPARE3D_APP_WORK_DIR", str(tmp_path / "work"))
    return tmp_path


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> list[str]:  # noqa: ANN001
    return [e.value for e in elements]


def test_browse_t2i_with_predictions(app_env: Path, tiny: SimpleNamespace) -> None:
    at = start()
    assert at.title[0].value == "Questions"
    at.selectbox(key="browse_set").set_value(2).run()  # sets sorted: i2p, p2i, t2i
    at.selectbox(key="browse_predictions").set_value("supervised.jsonl").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="browse_qid").options == [f"t2i_{i:03d}" for i in range(tiny.N)]
    at.selectbox(key="browse_qid").set_value("t2i_001").run()
    captions = [img.captions[0] for img in at.image]
    assert captions[:3] == ["front", "right", "top"]
    # question 1: label 1, answered wrongly with candidate 2
    assert captions[4].startswith("candidate 1 · correct answer · score")
    assert captions[5].startswith("candidate 2 · model's choice · score")
    assert any("Prediction: **candidate 2** (:red[wrong]" in m for m in texts(at.markdown))
    assert any("primitives: 4" in c for c in texts(at.caption))

    at.radio(key="browse_outcome").set_value("wrong").run()
    assert at.selectbox(key="browse_qid").options == ["t2i_001", "t2i_002"]
    at.slider(key="browse_primitives").set_value((5, 5)).run()
    assert at.selectbox(key="browse_qid").options == ["t2i_002"]
    at.radio(key="browse_outcome").set_value("correct").run()
    assert at.selectbox(key="browse_qid").options == ["t2i_005"]
    at.radio(key="browse_outcome").set_value("wrong").run()
    at.slider(key="browse_primitives").set_value((3, 3)).run()  # questions 0 and 3, both right
    assert texts(at.info) == ["No question matches the filters."]

    at.text_input(key="browse_jump").input("t2i_004").run()
    assert at.subheader[0].value == "Question t2i_004"
    at.text_input(key="browse_jump").input("nope").run()
    assert texts(at.error) == ["no question 'nope' in t2i / test"] and not at.exception


def test_browse_i2p_and_p2i(app_env: Path) -> None:
    at = start()
    assert at.selectbox(key="browse_set").value == 0  # i2p
    at.selectbox(key="browse_predictions").set_value("selfsup.jsonl").run()
    assert [img.captions[0] for img in at.image] == ["front", "right", "top", "isometric drawing"]
    table = at.dataframe[0].value
    assert table["choice"].tolist() == ["pose 1", "pose 2", "pose 5", "pose 6"]
    assert table["correct answer"].tolist() == [True, False, False, False]
    at.selectbox(key="browse_set").set_value(1).run()
    assert "Which drawing is seen from pose 1?" in at.markdown[0].value
    assert texts(at.warning) == ["selfsup.jsonl has no predictions for p2i / test"]
    assert len(at.image) == 7 and not at.exception


def test_browse_reports_bad_sources(app_env: Path, tmp_path: Path) -> None:
    # AppTest drops the entry script's sidebar from its tree after the first rerun of a multipage app,
    # so the sidebar inputs are set through their session-state keys here.
    at = start()
    assert [w.label for w in at.sidebar.children.values()] == [
        "Data folder",
        "Prediction files (JSONL, one per line)",
        "Reload files",
    ]
    at.session_state["source_data"] = str(tmp_path / "nowhere")
    at.run()
    assert texts(at.error) == [f"{tmp_path / 'nowhere'}: no such data directory"] and not at.exception
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{broken\n")
    half = tmp_path / "half.jsonl"
    half.write_text((tmp_path / "supervised.jsonl").read_text() + "not json\n")
    at.session_state["source_data"] = str(app_env / "data")
    at.session_state["source_predictions"] = f"{bad}\n{half}\n{tmp_path / 'missing.jsonl'}"
    at.run()
    errors = texts(at.error)
    assert errors[0].startswith(
        f"{bad}: no usable prediction lines; first problem: bad.jsonl:1: not valid JSON"
    )
    assert errors[1] == f"{tmp_path / 'missing.jsonl'}: no such prediction file"
    assert any("half.jsonl:19: not valid JSON" in w for w in texts(at.warning))
    assert at.selectbox(key="browse_predictions").options == ["(none)", "half.jsonl"]
    # a question folder with a missing drawing: the layout error, no traceback
    (app_env / "data" / "p2i" / "test" / "p2i_002" / "3.png").unlink()
    at.session_state["source_data"] = str(app_env / "data" / "p2i")
    at.run()
    assert any("p2i_002" in e and "missing image" in e for e in texts(at.error)) and not at.exception


def test_compare_page(app_env: Path) -> None:
    at = start("screens/compare.py")
    assert at.title[0].value == "Compare predictions"
    accuracy = at.dataframe[0].value
    t2i = accuracy[(accuracy["task"] == "t2i")].set_index("file")["accuracy"]
    assert t2i.to_dict() == pytest.approx({"supervised.jsonl": 4 / 6, "selfsup.jsonl": 3 / 6})
    assert at.selectbox(key="compare_task").options == ["i2p", "t2i"]
    at.selectbox(key="compare_task").set_value("t2i").run()
    agreement = at.dataframe[1].value
    assert agreement.to_numpy().tolist() == [[2, 2], [1, 1]]
    assert at.metric[0].value == "50.0%"
    disagree = at.dataframe[-1].value
    assert disagree["id"].tolist() == ["t2i_001", "t2i_003", "t2i_004"]
    at.selectbox(key="compare_b").set_value("supervised.jsonl").run()
    assert texts(at.info) == ["Choose two different files."] and not at.exception


def test_compare_needs_two_files(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARE3D_APP_PREDICTIONS", str(app_env / "supervised.jsonl"))
    at = start("screens/compare.py")
    assert "1 readable prediction file(s)" in at.info[0].value


def test_plots_page(app_env: Path) -> None:
    at = start("screens/plots.py")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 4
    per_task = at.dataframe[0].value
    assert len(per_task) == 5 and set(per_task["task"]) == {"t2i", "i2p", "p2i"}
    per_primitives = at.dataframe[1].value
    supervised = per_primitives[per_primitives["file"] == "supervised.jsonl"]
    assert supervised["n_primitives"].tolist() == [3, 4, 5] and supervised["correct"].tolist() == [2, 1, 1]
    at.selectbox(key="plots_task").set_value("i2p").run()
    assert not at.exception


def test_plots_without_predictions(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPARE3D_APP_PREDICTIONS")
    at = start("screens/plots.py")
    assert texts(at.info) == ["No readable prediction file: list one or more in the sidebar."]


def test_upload_page_renders_11_views(app_env: Path) -> None:
    at = start("screens/upload.py")
    box = trimesh.creation.box((2.0, 1.0, 1.0)).export(file_type="obj").encode()
    at.file_uploader(key="upload_file").upload("../my box.obj", box).run()
    assert not at.exception and not at.error
    assert texts(at.success)[0].startswith("my_box: 11 views by mesh")
    assert [img.captions[0] for img in at.image] == ["front", "right", "top"] + [
        f"pose {k}" for k in range(1, 9)
    ]
    assert at.download_button[0].label.startswith("Download drawings")
    at.radio(key="upload_hidden").set_value("dashed").run()
    assert len(at.image) == 11 and not at.exception
    assert list((app_env / "work").iterdir()) == []  # the upload folder is gone once drawn


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.exe", b"MZ", "evil: file type .exe not accepted"),
        ("dir/part.STEP", b"not a step file", "part.step: unreadable or corrupt STEP file"),
        ("big.stl", b"x" * (2 * 2**20), "over the upload limit of 1 MB"),
    ],
)
def test_upload_page_refuses(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes, message: str
):
    monkeypatch.setenv("SPARE3D_APP_MAX_UPLOAD_MB", "1")
    at = start("screens/upload.py")
    at.file_uploader(key="upload_file").upload(name, content).run()
    assert not at.exception and len(at.error) == 1 and message in at.error[0].value
    assert str(app_env / "work") not in at.error[0].value
    assert not at.image


def test_upload_page_asks_a_network(app_env: Path) -> None:
    import torch

    from spare3d.checkpoint import save_model
    from spare3d.models import NetConfig, build_model

    torch.manual_seed(0)
    net = build_model(NetConfig(model="pose", task="i2p", width=4, image_size=16, hidden=8))
    checkpoint = save_model(app_env / "pose.pt", net, {"stage": "test"})
    at = start("screens/upload.py")
    at.file_uploader(key="upload_file").upload(
        "box.obj", trimesh.creation.box((2, 1, 1)).export(file_type="obj").encode()
    )
    at.run()
    at.text_input(key="upload_checkpoint").input(str(app_env / "missing.pt")).run()
    assert "file not found" in at.error[0].value and not at.exception
    at.text_input(key="upload_checkpoint").input(str(checkpoint)).run()
    assert at.radio(key="upload_query_task").options == ["i2p", "p2i"]
    answers = at.dataframe[0].value
    assert answers["drawn from pose"].tolist() == [1, 2, 5, 6]
    assert set(answers["answer"]) <= {1, 2, 5, 6}
    at.radio(key="upload_query_task").set_value("p2i").run()
    assert at.dataframe[0].value["asked pose"].tolist() == [1, 2, 5, 6]
    at.multiselect(key="upload_query_poses").set_value([1, 2]).run()
    assert "need 4 distinct isometric poses" in at.error[0].value and not at.exception


def test_bad_setting_is_a_message(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARE3D_APP_MAX_UPLOAD_MB", "lots")
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    assert not at.exception
    assert at.error[0].value.startswith("bad app setting: SPARE3D_APP_MAX_UPLOAD_MB='lots' is not a number")
