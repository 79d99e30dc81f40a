"""The model analyser page (/analyse.html) in Chromium: served and dropped models, their card, runs
on a bundled image on every backend checked against the numpy backend in CPython, the profile
against the measured run, errors on the page, and no long task on the main thread."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import wait_for_state
from test_demo import camera_file, launch  # noqa: F401  (camera_file: the fake camera's y4m, a fixture)
from PIL import Image

from pyapp.analysis import InputOptions, model_input
from pyapp.api import load_graph_model
from pyapp.server.local import serving
from pyapp.tasks import FaceDetector

OUTPUT_PIXELS = """(name) => {
  const shown = document.querySelector(`#outputs figure[data-name="${name}"] canvas`);
  const canvas = new OffscreenCanvas(shown.width, shown.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(shown, 0, 0);
  return { width: shown.width, height: shown.height, data: Array.from(ctx.getImageData(0, 0, shown.width, shown.height).data) };
}"""


@pytest.fixture(scope="module")
def analyse(browser, server_url):
    """One page for the module: Python boots once."""
    page = browser.new_page()
    page.goto(server_url + "/analyse.html")
    assert wait_for_state(page) == "ready", page.locator("#error").text_content()
    yield page
    page.close()


def load(page, *, model=None, files=None, url=None, backend="cpu") -> dict:
    page.evaluate("() => { window.analyser.loaded = null; window.analyser.setFiles(null); }")
    page.select_option("#backend", backend)
    page.fill("#model-url", url or "")
    if model:
        page.select_option("#model-select", label=model)
    if files:
        page.set_input_files("#model-files", [str(f) for f in files])
    page.click("#load")
    page.wait_for_function("window.analyser.loaded !== null", timeout=120_000)
    return page.evaluate("window.analyser.loaded")


def run(page, image="astronaut", draw="readback") -> dict:
    page.select_option("#image-select", label=image)
    page.select_option("#draw", draw)
    page.evaluate("() => { window.analyser.last = null; window.longTasks.length = 0; }")
    page.click("#run")
    page.wait_for_function("window.analyser.last !== null || !document.getElementById('run-error').hidden", timeout=120_000)
    assert page.locator("#run-error").is_hidden(), page.locator("#run-error").text_content()
    return page.evaluate("window.analyser.last")


TASK_PIXELS = """() => {
  const canvas = document.getElementById("task-canvas");
  const ctx = canvas.getContext("2d");
  return { width: canvas.width, height: canvas.height, data: Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data) };
}"""
MARK_COLOUR = (0x39, 0xFF, 0x88)  # static/marks.js


def run_task(page, image="astronaut") -> dict:
    page.select_option("#image-select", label=image)
    page.select_option("#view", "task")
    page.evaluate("() => { window.analyser.task = null; }")
    page.click("#run")
    page.wait_for_function("window.analyser.task !== null || !document.getElementById('run-error').hidden", timeout=120_000)
    assert page.locator("#run-error").is_hidden(), page.locator("#run-error").text_content()
    return page.evaluate("window.analyser.task")


def write_model(folder, nodes: list[tuple], input_shape, shards: dict[str, bytes]):
    """model.json of Placeholder x (input_shape, float32) and nodes (name, op, inputs...), each
    shard given listed with a float32 weight w of 2 values."""
    dims = {"dim": [{"size": str(d)} for d in input_shape]}
    graph = [{"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": dims}}}]
    graph += [{"name": name, "op": op, "input": list(inputs), "attr": {"dtype": {"type": "DT_FLOAT"}}} for name, op, *inputs in nodes]
    manifest = [{"paths": list(shards), "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}] if shards else []
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps({"format": "graph-model", "modelTopology": {"node": graph}, "weightsManifest": manifest}))
    for name, data in shards.items():
        (folder / name).write_bytes(data)
    return folder / "model.json"


def astronaut(assets_dir) -> np.ndarray:
    return np.asarray(Image.open(assets_dir / "images/astronaut.png").convert("RGBA"))


@pytest.fixture(scope="module")
def selfie_mask(assets_dir) -> np.ndarray:
    """The CPU reference: the same preprocessing and model in CPython, P(person) > 0.5."""
    model = load_graph_model(str(assets_dir / "served-models/selfie/model.json"))
    x = model_input(astronaut(assets_dir), model.inputs[0], InputOptions())
    return model.predict(x)[0, ..., 0] > 0.5


@pytest.mark.parametrize("backend, draw", [("cpu", "readback"), ("webgl", "readback"), ("webgl", "webgl"), ("wasm", "readback")])
def test_served_model_on_a_bundled_image(analyse, selfie_mask, backend, draw, output_path):
    loaded = load(analyse, model="selfie", backend=backend)
    assert loaded["error"] is None and loaded["backend"] == backend
    card = loaded["card"]
    assert card["ops"]["Conv2D"] == 43 and card["costs"]["flops"] > 1e8 and card["unsupported_ops"] == []
    assert "Ops — all supported" in analyse.locator("#card").text_content()
    result = run(analyse, draw=draw)
    (out,) = result["outputs"]
    assert out["kind"] == "image" and out["shape"] == [1, 256, 256, 1] and result["draw"] == draw
    assert out["readback_draw_ms"] > 0 and (draw != "webgl" or out["webgl_draw_ms"] > 0)
    shown = analyse.evaluate(OUTPUT_PIXELS, out["name"])
    pixels = np.array(shown["data"], np.uint8).reshape(shown["height"], shown["width"], 4)
    assert pixels[..., 0].std() > 20, "the output canvas is blank"
    mask = pixels[..., 0] > 127
    iou = (mask & selfie_mask).sum() / (mask | selfie_mask).sum()
    assert iou >= 0.9, iou
    assert analyse.evaluate("window.longTasks.length") == 0, analyse.evaluate("window.longTasks")
    runs = [run(analyse, draw=draw) for _ in range(5)]  # the times the page shows, for the README
    latency = runs[-1]["speed"]  # the latency histogram drawn: one bar per bin, heights as the counts
    heights = analyse.eval_on_selector_all("#latency .bars div", "bars => bars.map((b) => parseFloat(b.style.height))")
    assert sum(latency["histogram"]["counts"]) == latency["count"] >= 6 and analyse.locator("#latency").is_visible()
    np.testing.assert_allclose(heights, 100 * np.array(latency["histogram"]["counts"]) / max(latency["histogram"]["counts"]), atol=0.01)
    assert f"latency of the last {latency['count']} runs" in analyse.locator("#latency figcaption").text_content()
    out_dir = Path(output_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    times = {key: float(np.median([r["outputs"][0][key] for r in runs])) for key in ("readback_draw_ms", "webgl_draw_ms") if key in out}
    (out_dir / "times.json").write_text(json.dumps({"backend": backend, "draw": draw, "first_ms": runs[-1]["first_ms"],
                                                    "p50_ms": runs[-1]["speed"]["p50"], **times}, indent=2))


def test_dropped_local_model_vector_output_and_npy(analyse, assets_dir, tmp_path):
    folder = assets_dir / "models/emotion"
    loaded = load(analyse, files=[folder / "model.json", folder / "emotion.bin"])
    assert loaded["error"] is None and loaded["card"]["source"] == "local: model.json"
    result = run(analyse)
    (out,) = result["outputs"]
    assert out["kind"] == "vector" and len(analyse.locator(".top span").all()) == 5
    model = load_graph_model(str(folder / "model.json"))
    want = model.predict(model_input(astronaut(assets_dir), model.inputs[0], InputOptions()))[0]
    assert out["top"][0]["index"] == int(np.argmax(want))
    assert abs(out["top"][0]["value"] - float(want.max())) < 1e-4
    with analyse.expect_download() as download:
        analyse.click(f'#outputs figure[data-name="{out["name"]}"] button')
    path = tmp_path / "out.npy"
    download.value.save_as(path)
    np.testing.assert_allclose(np.load(path)[0], want, atol=1e-4)


@pytest.mark.parametrize("backend", ["cpu", "webgl", "wasm"])
def test_profile_sums_to_the_measured_run(analyse, backend):
    load(analyse, model="selfie", backend=backend)
    analyse.evaluate("() => { window.analyser.profile = null; }")
    # 40 runs of each: at load 12-18 on 2 cores (runs of 0.1-1.2 s), 20 left the two means >20% apart 1 time in 4
    analyse.fill("#profile-runs", "40")
    analyse.click("#profile")
    analyse.wait_for_function("window.analyser.profile !== null", timeout=120_000)
    p = analyse.evaluate("window.analyser.profile")
    assert p["backend"] == backend and p["runs"] == 40 and p["steps"] and analyse.locator("#profile-table tbody tr").count() == len(p["by_op"])
    assert abs(p["sum_ms"] - p["run_ms"]) <= 0.2 * p["run_ms"], f"{backend}: sum {p['sum_ms']:.1f} ms, run {p['run_ms']:.1f} ms, {p['totals']}"
    if backend == "cpu":  # the numpy executor's own time is a row, and a small one: the kernels are the run
        outside = p["by_op"]["(outside steps)"]
        assert outside["count"] == 1 and outside["ms"] < 0.2 * p["sum_ms"], p["by_op"]


def test_compare_backends(analyse):
    load(analyse, model="selfie", backend="cpu")
    analyse.evaluate("() => { window.analyser.compare = null; }")
    analyse.click("#compare")
    analyse.wait_for_function("window.analyser.compare !== null", timeout=120_000)
    c = analyse.evaluate("window.analyser.compare")
    assert set(c["ms"]) == {"cpu", "webgl", "wasm"} and c["problems"] == {}
    assert all(d == 0 for d in c["max_diff"]["cpu"].values())
    assert max(c["max_diff"]["webgl"].values()) < 1e-2 and max(c["max_diff"]["wasm"].values()) < 1e-3
    assert analyse.locator("#compare-table tbody tr").count() == 3


def test_auto_keeps_the_backend_its_probe_measured_fastest(analyse):
    loaded = load(analyse, model="meet", backend="auto")
    assert loaded["error"] is None, loaded["error"]
    reason = loaded["reason"]  # "auto: fastest in a 3-run probe (wasm 12.1 ms, cpu ..., webgl ... per inference)"
    times = {b: float(ms) for b, ms in re.findall(r"(wasm|webgl|cpu) ([0-9.]+) ms", reason)}
    assert reason.startswith("auto: fastest") and set(times) == {"wasm", "webgl", "cpu"}, reason
    assert loaded["backend"] == min(times, key=times.get), reason
    run(analyse)  # and it runs (run() checks no error is shown)


def test_errors_stay_on_the_page(analyse, assets_dir, tmp_path):
    folder = assets_dir / "models/emotion"
    missing = load(analyse, files=[folder / "model.json"])
    assert "missing shard: emotion.bin" in analyse.locator("#model-error").text_content()
    assert missing["card"]["groups"][0]["shards"][0]["bytes_on_disk"] is None and "missing" in analyse.locator("#card").text_content()

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "model.json").write_text("{ nope")
    load(analyse, files=[tmp_path / "bad" / "model.json"])
    assert "not valid JSON" in analyse.locator("#model-error").text_content()

    nodes = [("w", "Const"), ("y", "NoSuchOp", "x", "w"), ("z", "OtherOp", "y")]
    path = write_model(tmp_path / "odd", nodes, (1, 8, 8, 3), {"w.bin": np.zeros(2, np.float32).tobytes()})
    odd = load(analyse, files=[path, path.parent / "w.bin"])
    assert odd["card"]["unsupported_ops"] == ["NoSuchOp", "OtherOp"] and odd["model"] is None
    assert "unsupported: NoSuchOp, OtherOp" in analyse.locator("#card").text_content()
    assert "UnsupportedOpsError" in analyse.locator("#model-error").text_content()

    path = write_model(tmp_path / "five", [("y", "Relu", "x")], (1, 8, 8, 5), {})
    assert load(analyse, files=[path])["error"] is None
    analyse.click("#run")
    analyse.wait_for_function("!document.getElementById('run-error').hidden", timeout=60_000)
    assert "input 'x' of shape [1, 8, 8, 5] is not an image" in analyse.locator("#run-error").text_content()

    other = load(analyse, url="http://example.invalid/model.json")
    assert "only models of this page's origin" in other["error"]
    assert "only models of this page's origin" in analyse.locator("#model-error").text_content()


@pytest.mark.parametrize("backend", ["cpu", "webgl"])
def test_task_view_draws_the_face_blazeface_finds(analyse, assets_dir, backend):
    """The astronaut through blazeface in the task view, on the backend the model was loaded on: one
    face, its box where CPython's FaceDetector puts it, drawn in the marks' colour over the image,
    and nothing drawn far from it."""
    loaded = load(analyse, model="blazeface", backend=backend)
    assert loaded["error"] is None and loaded["task"] == "face"
    try:
        result = run_task(analyse)
    finally:
        analyse.select_option("#view", "tensors")
    image = np.asarray(Image.open(assets_dir / "images/astronaut.png").convert("RGB"))
    (want,) = FaceDetector.load(str(assets_dir / "served-models/blazeface/model.json")).detect(image)
    (face,) = result["faces"]
    assert (result["width"], result["height"]) == image.shape[1::-1]
    assert np.abs(np.array(face["box"]) - want.box).max() <= 2, (face["box"], want.box)
    shown = analyse.evaluate(TASK_PIXELS)
    pixels = np.array(shown["data"], np.uint8).reshape(shown["height"], shown["width"], 4)
    marked = np.abs(pixels[..., :3].astype(int) - MARK_COLOUR).max(axis=2) < 40
    x0, y0, x1, y1 = np.round(want.box).astype(int)
    for side in (marked[y0, x0 + 10:x1 - 10], marked[y1, x0 + 10:x1 - 10], marked[y0 + 10:y1 - 10, x0], marked[y0 + 10:y1 - 10, x1]):
        assert side.mean() > 0.9, side.mean()
    assert marked[y0 + 10:y1 - 10, x0 + 10:x1 - 10].mean() < 0.1  # inside the box: the face (and 6 keypoints)
    far = np.ones_like(marked)
    far[max(y0 - 40, 0):y1 + 10, max(x0 - 10, 0):x1 + 10] = False
    assert marked[far].mean() < 0.001, "marks far from the face"
    assert np.abs(pixels[far][:, :3].astype(int) - image[far]).max() <= 2, "the image under the marks"
    assert "face: 1 face(s)" in analyse.locator("#task-caption").text_content()


@pytest.fixture(scope="module")
def own_server_page(playwright, tmp_path_factory, assets_dir, camera_file):  # noqa: F811
    """The analyser on a server of its own started with `--models DIR` (a copy of the bundled emotion
    model in a tmp folder named "mine"), in a Chromium whose fake camera plays astronaut.png."""
    mine = tmp_path_factory.mktemp("user") / "mine"
    shutil.copytree(assets_dir / "served-models/emotion", mine)
    browser = launch(playwright, extra=[f"--use-file-for-fake-video-capture={camera_file[0]}"])
    with serving(args=("--models", str(mine))) as url:
        page = browser.new_context(permissions=["camera"]).new_page()
        page.goto(url + "/analyse.html")
        assert wait_for_state(page) == "ready", page.locator("#error").text_content()
        yield page
    browser.close()


def test_a_model_served_with_models_dir_loads_and_runs(own_server_page, assets_dir):
    page = own_server_page
    assert page.evaluate("window.analyser.config.user_models") == {"mine": "/user-models/mine/model.json"}
    assert page.locator('#model-select optgroup[label="yours (--models)"] option').all_text_contents() == ["mine"]
    loaded = load(page, model="mine")
    assert loaded["error"] is None and loaded["card"]["source"].endswith("/user-models/mine/model.json")
    (out,) = run(page)["outputs"]
    model = load_graph_model(str(assets_dir / "served-models/emotion/model.json"))
    want = model.predict(model_input(astronaut(assets_dir), model.inputs[0], InputOptions()))[0]
    assert out["kind"] == "vector" and out["top"][0]["index"] == int(np.argmax(want))
    assert abs(out["top"][0]["value"] - float(want.max())) < 1e-4


def test_live_on_the_camera(own_server_page, camera_file, assets_dir):  # noqa: F811
    """Live runs on the fake camera's frames: the speed table shows FPS > 0, and the mask is the
    one CPython's numpy backend gives for the camera's frame (as ffmpeg decodes it)."""
    page = own_server_page
    load(page, model="selfie", backend="cpu")
    page.select_option("#image-select", label="camera device")
    page.select_option("#view", "tensors")
    page.evaluate("() => { window.analyser.last = null; }")
    page.click("#live")
    try:
        page.wait_for_function("window.analyser.last !== null && window.analyser.last.speed.count >= 3 || !document.getElementById('run-error').hidden",
                               timeout=120_000)
    finally:
        page.click("#live")  # stop
    assert page.locator("#run-error").is_hidden(), page.locator("#run-error").text_content()
    result = page.evaluate("window.analyser.last")
    assert result["speed"]["fps"] > 0
    fps_row = page.locator("#speed tr", has_text="FPS").locator("td").nth(1).text_content()
    assert float(fps_row) > 0, fps_row
    shown = page.evaluate(OUTPUT_PIXELS, result["outputs"][0]["name"])
    mask = np.array(shown["data"], np.uint8).reshape(shown["height"], shown["width"], 4)[..., 0] > 127
    model = load_graph_model(str(assets_dir / "served-models/selfie/model.json"))
    want = model.predict(model_input(camera_file[1], model.inputs[0], InputOptions()))[0, ..., 0] > 0.5
    assert (mask & want).sum() / (mask | want).sum() >= 0.9
