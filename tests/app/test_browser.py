"""The inspector in a real browser: `spare3d app` on localhost, driven by headless Debian Chromium.

The question set is drawn here from small boolean meshes (a block with a boss, minus one of several
cuts) through render.lines.mesh, so the screenshots saved to docs/screenshots/ show real line drawings.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh

from render.lines.cameras import camera
from render.lines.drawing import Frame, rasterize
from render.lines.mesh import mesh_views

CHROMIUM = Path("/usr/bin/chromium")
# Screenshots go to a temporary folder; SCREENSHOT_DIR=docs/screenshots refreshes the README pictures.
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SIZE = 200

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason=f"{CHROMIUM} not installed (apt-get install chromium)"
)


def _cuts() -> list[trimesh.Trimesh]:
    """Tools subtracted from the block: boxes and cylinders at different places."""

    def box(size, at):  # noqa: ANN001, ANN202
        return trimesh.creation.box(size, trimesh.transformations.translation_matrix(at))

    def cyl(radius, height, at, axis=(0, 0, 1)):  # noqa: ANN001, ANN202
        rot = trimesh.geometry.align_vectors((0, 0, 1), axis)
        return trimesh.creation.cylinder(
            radius, height, transform=trimesh.transformations.translation_matrix(at) @ rot
        )

    return [
        box((1.6, 1.6, 1.2), (4.0, 0.0, 2.0)),
        box((1.2, 3.2, 0.8), (1.0, 1.5, 2.0)),
        cyl(0.6, 3.0, (2.8, 1.5, 1.0)),
        box((1.0, 1.0, 2.4), (0.0, 3.0, 1.0)),
        cyl(0.7, 5.0, (2.0, 0.0, 0.8), axis=(1, 0, 0)),
        box((1.4, 1.0, 1.0), (2.0, 0.0, 0.0)),
    ]


def bracket() -> trimesh.Trimesh:
    """An L-shaped bracket with a drilled hole (a mesh to upload)."""
    plate = trimesh.creation.box((4, 3, 0.6), trimesh.transformations.translation_matrix((2, 1.5, 0.3)))
    wall = trimesh.creation.box((0.6, 3, 2.5), trimesh.transformations.translation_matrix((0.3, 1.5, 1.25)))
    hole = trimesh.creation.cylinder(
        0.6, 2.0, transform=trimesh.transformations.translation_matrix((2.6, 1.5, 0.3))
    )
    return plate.union(wall).difference(hole)


def draw_t2i(split: Path, n_questions: int) -> dict[str, int]:
    """t2i questions in the SPARE3D layout: F, R, T of the block minus one cut, 4 pose-2 candidates."""
    block = trimesh.creation.box((4, 3, 2), trimesh.transformations.translation_matrix((2, 1.5, 1)))
    boss = trimesh.creation.cylinder(
        0.8, 1.0, transform=trimesh.transformations.translation_matrix((1.2, 1.5, 2.5))
    )
    base = block.union(boss)
    frame = Frame.around(*base.bounds)
    cuts = _cuts()
    rng = np.random.default_rng(3)
    answers = {}
    for q in range(n_questions):
        qid = f"block_{q:02d}"
        folder = split / qid
        folder.mkdir(parents=True)
        label = q % 4
        objects = [base.difference(cuts[i]) for i in rng.choice(len(cuts), 4, replace=False)]
        drawn = mesh_views(objects[label], [camera(k) for k in "frt"])
        for key, lines in drawn.items():
            image = rasterize(lines, camera(key), frame, SIZE, 1.5, "red")
            cv2.imwrite(str(folder / f"{qid}_{key}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        for i, obj in enumerate(objects):
            image = rasterize(mesh_views(obj, [camera("2")])["2"], camera("2"), frame, SIZE, 1.5, "red")
            cv2.imwrite(str(folder / f"{i}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        answers[qid] = label
    (split / "answer.json").write_text(json.dumps(answers))
    return answers


def write_predictions(path: Path, answers: dict[str, int], wrong: set[int], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    lines = []
    for i, (qid, label) in enumerate(answers.items()):
        scores = rng.normal(0, 1, 4)
        pred = (label + 2) % 4 if i in wrong else label
        scores[pred] = scores.max() + 0.5 + rng.random()
        lines.append(
            {
                "id": qid,
                "task": "t2i",
                "split": "test",
                "label": label,
                "pred": pred,
                "scores": scores.round(3).tolist(),
                "correct": pred == label,
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def settle(page) -> None:  # noqa: ANN001
    """Wait until Streamlit has finished the current run (its 'Running...' status widget is gone)."""
    from playwright.sync_api import expect

    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the app did not answer on {url} within {timeout:.0f} s")


@pytest.fixture
def running_app(tmp_path: Path):
    root = tmp_path / "data"
    answers = draw_t2i(root / "t2i" / "test", 4)
    manifest = {
        "task": "t2i",
        "questions": {q: {"split": "test", "model": "block", "n_primitives": 3} for q in answers},
    }
    (root / "t2i" / "manifest.json").write_text(json.dumps(manifest))
    supervised = write_predictions(tmp_path / "supervised.jsonl", answers, {1, 2}, 0)
    selfsup = write_predictions(tmp_path / "self_supervised.jsonl", answers, {2}, 1)
    port = free_port()
    # relative paths (run in tmp_path): the sidebar, and so the screenshots, do not change from run to run
    command = [sys.executable, "-c", "from spare3d.cli import main; main()", "app", "--data", "data"]
    command += ["--predictions", supervised.name, "--predictions", selfsup.name, "--port", str(port)]
    command += ["--work-dir", "work"]
    log = (tmp_path / "app.log").open("w")
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://localhost:{port}"
    try:
        wait_healthy(url, process)
        yield url, answers
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_question_page_in_chromium(running_app: tuple[str, dict[str, int]], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # the first run imports torch and pandas on a busy machine

    url, answers = running_app
    qid = "block_01"  # answer: candidate 1; the supervised predictions choose candidate 3
    SCREENSHOTS = Path(SCREENSHOT_DIR).resolve() if SCREENSHOT_DIR else tmp_path / "screenshots"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            page.set_default_timeout(30_000)
            page.goto(url)
            expect(page.get_by_role("heading", name="Questions")).to_be_visible()
            settle(page)
            jump = page.get_by_label("Jump to question id")
            jump.fill(qid)
            jump.press("Enter")
            expect(page.get_by_role("heading", name=f"Question {qid}")).to_be_visible()
            settle(page)
            for alt in ("front", "right", "top"):
                expect(page.locator(f"img[alt='{alt}']")).to_be_visible()
            candidates = page.locator("img[alt^='candidate']")
            expect(candidates).to_have_count(4)
            expect(page.locator(f"img[alt^='candidate {answers[qid]} · correct answer']")).to_be_visible()
            expect(page.locator('img[alt^="candidate 3 · model\'s choice"]')).to_be_visible()
            expect(page.get_by_text("Prediction: candidate 3")).to_be_visible()
            widths = page.locator("img[alt]").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
            assert len(widths) == 7 and min(widths) >= SIZE  # every drawing loaded (bordered ones are wider)
            assert page.get_by_role("textbox", name="Data folder").is_visible()  # the sidebar survives reruns
            page.screenshot(path=str(SCREENSHOTS / "questions.png"), full_page=True)

            page.get_by_role("link", name="Compare predictions").click()
            expect(page.get_by_role("heading", name="Compare predictions")).to_be_visible()
            expect(page.get_by_text("Questions where they disagree")).to_be_visible()
            settle(page)
            page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)

            # upload a mesh: 11 drawings rendered live, downloadable
            part = tmp_path / "bracket.stl"
            part.write_bytes(bracket().export(file_type="stl"))
            page.get_by_role("link", name="Render a model").click()
            expect(page.get_by_role("heading", name="Render a model")).to_be_visible()
            page.locator("input[type=file]").set_input_files(str(part))
            expect(page.get_by_text("bracket: 11 views by mesh")).to_be_visible()
            settle(page)
            expect(page.locator("img[alt^='pose']")).to_have_count(8)
            expect(page.get_by_role("button", name="Download drawings (PNG + SVG, zip)")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "render_upload.png"), full_page=True)
        finally:
            browser.close()
    assert not any((tmp_path / "work").iterdir())  # the upload was only kept while it was drawn
    for name in ("questions.png", "compare.png", "render_upload.png"):
        shot = cv2.imread(str(SCREENSHOTS / name))
        assert shot is not None and shot.shape[1] == 1400
