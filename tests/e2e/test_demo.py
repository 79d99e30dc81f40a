"""The webcam demo (static/demo.html) on a fake camera fed from astronaut.png, in its own Chromium:
the camera file is a launch flag, so this module launches the browsers it needs."""

import base64
import io
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import pyapp
from pyapp.effects import Options, model_input, probability
from pyapp.effects.cpu import composite

from conftest import BOOT_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
SNAPSHOT = """() => {
  const c = document.getElementById("output"), t = document.createElement("canvas");
  t.width = c.width; t.height = c.height;
  t.getContext("2d").drawImage(c, 0, 0);
  return t.toDataURL("image/png");
}"""
BLOB_URL = """async (name) => {
  const blob = window.demo.image[name];
  return await new Promise((done) => { const r = new FileReader(); r.onload = () => done(r.result); r.readAsDataURL(blob); });
}"""


def decode_png(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB"))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.fixture(scope="module")
def camera_file(request, tmp_path_factory, assets_dir):
    """A y4m of astronaut.png (centred, black sides) and its first frame as decoded by ffmpeg:
    640x480, or the (width, height) a test asks for with indirect parametrisation."""
    width, height = getattr(request, "param", (640, 480))
    folder = tmp_path_factory.mktemp(f"camera{width}x{height}")
    video, first = folder / "astronaut.y4m", folder / "frame.png"
    fit = f"scale=-1:{height},pad={width}:{height}:(ow-iw)/2:0,format=yuv420p"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", str(assets_dir / "images" / "astronaut.png"),
                    "-vf", fit, "-r", "20", "-t", "1", str(video)], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(video), "-frames:v", "1", str(first)], check=True)
    return video, np.asarray(Image.open(first).convert("RGB"))


def launch(playwright, drop=(), extra=()):
    args = [a for a in CHROMIUM_ARGS if a not in drop] + list(extra)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


def open_demo(browser, server_url, **context):
    page = browser.new_context(viewport={"width": 1280, "height": 860}, **context).new_page()
    page.goto(server_url + "/demo.html")
    page.wait_for_function("window.demo && ['ready', 'error'].includes(window.demo.state)", timeout=BOOT_TIMEOUT_MS)
    assert page.evaluate("window.demo.state") == "ready", page.text_content("#message")
    return page


@pytest.fixture(scope="module")
def demo(playwright, server_url, camera_file):
    browser = launch(playwright, extra=[f"--use-file-for-fake-video-capture={camera_file[0]}"])
    page = open_demo(browser, server_url, permissions=["camera"])
    height, width = camera_file[1].shape[:2]  # chosen as a visitor does: Chromium scales the fake camera
    page.select_option("#camera-size", f"{width}x{height}")  # to the page's constraints (640x480 by default)
    page.click("#camera-toggle")
    page.wait_for_function("window.demo.frames > 0", timeout=60_000)
    yield page
    browser.close()


def set_controls(page, effect=None, **selects):
    """Change controls the way a visitor does, then wait for two frames made with the new options."""
    for name, value in selects.items():
        if isinstance(value, bool):
            page.set_checked(f"#{name}", value)
        else:
            page.select_option(f"#{name}", value)
    if effect:
        page.click(f".segmented input[value={effect}] + span")
    want = {**selects, **({"effect": effect} if effect else {})}
    page.wait_for_function("""(want) => window.demo.stats && window.demo.applied !== undefined
        && Object.entries(want).every(([k, v]) => window.demo.stats.options[k] === v)""", arg=want, timeout=180_000)
    frames = page.evaluate("window.demo.frames")
    page.wait_for_function("(n) => window.demo.frames >= n + 2", arg=frames, timeout=60_000)


def reference_mask(rgb: np.ndarray, model: str, assets_dir) -> np.ndarray:
    """The mask the CPU backend gives in CPython for an RGB frame, at the demo's threshold."""
    net = pyapp.load_graph_model(str(assets_dir / "models" / model / "model.json"))
    prob = probability(model, net.predict(model_input(model, rgb)))
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    return composite(rgba, prob, Options(model=model, effect="mask", flip=False))[..., 0] > 127


@pytest.mark.parametrize("backend", ["cpu", "webgl", "wasm"])
def test_camera_mask_matches_the_cpu_reference(demo, camera_file, assets_dir, backend):
    set_controls(demo, effect="mask", backend=backend, flip=False, resolution="medium")
    shown = decode_png(demo.evaluate(SNAPSHOT))
    assert shown.shape == (240, 320, 3)  # medium: half the 640x480 camera
    frame = np.asarray(Image.fromarray(camera_file[1]).resize((320, 240), Image.BILINEAR))
    want = reference_mask(frame, "selfie", assets_dir)
    assert demo.evaluate("window.demo.stats.backend") == backend
    assert iou(shown[..., 0] > 127, want) >= 0.9


MARKS = """() => document.getElementById("marks").toDataURL("image/png")"""
FACE_COLOUR = (0x39, 0xFF, 0x88)
FACE = np.array([175, 75, 275, 180])  # the astronaut's face in astronaut.png, checked by eye (tests/unit/test_tasks_face.py)


def faces_after(page, flip):
    """Two new faces-mode results made with flip set; the last one."""
    set_controls(page, flip=flip, resolution="full")
    drawn = page.evaluate("window.demo.facesDrawn")
    page.wait_for_function("(n) => window.demo.facesDrawn >= n + 2", arg=drawn, timeout=60_000)
    return page.evaluate("window.demo.faces")


def test_faces_mode_finds_and_draws_the_astronauts_face(demo):
    demo.select_option("#mode", "faces")
    try:
        demo.wait_for_function("window.demo.facesDrawn > 0", timeout=180_000)  # the detector loads on the first frame
        # the camera shows astronaut.png scaled to 480 rows, centred: 80 px of black each side
        want = FACE * 480 / 512 + [80, 0, 80, 0]
        result = faces_after(demo, flip=False)
        assert (result["width"], result["height"]) == (640, 480)
        (face,) = result["faces"]
        assert np.abs(np.array(face["box"]) - want).max() <= 15, face["box"]
        assert set(result["timings"]) == {"preprocess", "model", "decode"}
        marks = np.asarray(Image.open(io.BytesIO(base64.b64decode(demo.evaluate(MARKS).split(",", 1)[1]))).convert("RGBA"))
        x0, y0, x1, y1 = np.round(face["box"]).astype(int)
        edge = marks[y0, x0 + 10:x1 - 10]  # the box's top side, drawn in the face colour
        assert (np.abs(edge[:, :3].astype(int) - FACE_COLOUR).max(axis=1) < 40).mean() > 0.9
        assert (marks[:60, :60, 3] == 0).all() and (marks[-60:, -60:, 3] == 0).all()  # nothing far from the face
        assert demo.text_content("#faces-found") == "1" and demo.text_content("#decode-ms").endswith("ms")
        (mirrored,) = faces_after(demo, flip=True)["faces"]  # the frame is mirrored, and the face with it
        assert np.abs(np.array(mirrored["box"]) - [640 - want[2], want[1], 640 - want[0], want[3]]).max() <= 15, mirrored["box"]
    finally:
        demo.select_option("#mode", "segment")


RAF_RATE = """async (ms) => { const r0 = window.rafCount, t0 = performance.now();
  await new Promise((done) => setTimeout(done, ms));
  return (window.rafCount - r0) / ((performance.now() - t0) / 1000); }"""


def idle_raf_fps(page) -> float:
    """rAF rate of the same page with the camera stopped for 3 s (then started again): what this
    machine gives the page right now without the demo's work."""
    page.click("#camera-toggle")
    fps = page.evaluate(RAF_RATE, 3000)
    frames = page.evaluate("window.demo.frames")
    page.click("#camera-toggle")
    page.wait_for_function("(n) => window.demo.frames > n", arg=frames, timeout=60_000)
    return fps


def test_ten_seconds_of_running(demo, output_path):
    set_controls(demo, effect="blur", backend="auto", flip=True)
    idle = [idle_raf_fps(demo)]
    demo.evaluate("() => { window.longTasks.length = 0; window.demo.mark = {t: performance.now(), raf: window.rafCount, dropped: window.demo.dropped, frames: window.demo.frames}; }")
    time.sleep(10)
    run = demo.evaluate("""() => { const m = window.demo.mark, s = (performance.now() - m.t) / 1000;
        return {seconds: s, seg_fps: (window.demo.frames - m.frames) / s, dropped: window.demo.dropped - m.dropped,
                raf_fps: (window.rafCount - m.raf) / s, long_tasks: window.longTasks.map((t) => t.duration),
                inference_ms: window.demo.stats.inference_ms, backend: window.demo.stats.backend, reason: window.demo.stats.reason,
                shown_fps: document.getElementById("seg-fps").textContent, shown_dropped: document.getElementById("dropped").textContent}; }""")
    out = Path(output_path)  # test-results/<this test>/: kept for a reviewer
    out.mkdir(parents=True, exist_ok=True)
    demo.screenshot(path=str(out / "demo.png"))
    idle.append(idle_raf_fps(demo))
    run["idle_raf_fps"] = idle
    (out / "run.json").write_text(json.dumps(run, indent=2))
    assert run["seg_fps"] > 0 and run["shown_fps"].endswith("fps")
    assert run["dropped"] > 0 and int(run["shown_dropped"]) >= run["dropped"]  # camera 20 fps > segmentation
    assert not [t for t in run["long_tasks"] if t > 50], f"main-thread long tasks (ms): {run['long_tasks']}"
    # >= 50 fps; where other work on the machine keeps even the idle page below that (shared 2-core
    # machines), the running demo must keep 90% of the idle rate measured just before and after.
    assert run["raf_fps"] >= min(50, 0.9 * sum(idle) / 2), f"rAF {run['raf_fps']:.1f} fps running, {idle} idle"


def test_switching_twenty_times_grows_no_gl_objects(demo):
    cycle = [dict(model="meet", effect="replace"), dict(backend="webgl", effect="overlay"),
             dict(resolution="low", effect="mask"), dict(model="selfie", backend="cpu", resolution="high", effect="blur"),
             dict(backend="auto", resolution="medium")]
    for change in cycle:  # every model x backend once: runners are made and kept
        set_controls(demo, **change)
    before = demo.evaluate("window.demo.stats")
    for i in range(20):
        set_controls(demo, **cycle[i % len(cycle)])
    after = demo.evaluate("window.demo.stats")
    assert (after["gl_textures"], after["gl_programs"]) == (before["gl_textures"], before["gl_programs"])
    # frames keep flowing through the switches (how many depends on the machine's load)
    assert after["frames"] > before["frames"] + 20


# Runs in the worker: each effect drawn by the GLSL compositor, read back, against pyapp.effects.cpu
# on the same frame, mask and background (a restart then one EMA step for temporal smoothing).
GL_VS_NUMPY = """
import numpy as np, js
from pyapp.browser.demo import DEMO, canvas_2d, image_data
from pyapp.effects import Options
from pyapp.effects.cpu import composite
d = DEMO["demo"]
assert d.webgl() is None, d.gl_problem
h, w = 120, 160
y, x = np.mgrid[0:h, 0:w]
frame = np.dstack([x * 255 // w, y * 255 // h, (x + y) % 64 * 4, np.full((h, w), 255)]).astype(np.uint8)
back = frame[:, ::-1].copy()
prob = (1 / (1 + np.exp((32 - np.mgrid[0:64, 0:64][1]) / 3.0))).astype(np.float32)

def bitmap(a):
    canvas, ctx = canvas_2d(w, h)
    ctx.putImageData(image_data(a), 0, 0)
    return canvas.transferToImageBitmap()

gl, comp = d.gl, d.compositor
comp.upload_image("background", bitmap(back), h, w)
d.gl_canvas.width, d.gl_canvas.height = w, h
errors = {}
cases = [(e, Options(effect=e, blur=0.6), [prob], prob) for e in ("blur", "replace", "overlay", "mask")]
smooth = Options(effect="mask", smoothing=0.6)
cases.append(("ema", smooth, [1 - prob, prob], 0.6 * (1 - prob) + 0.4 * prob))  # a restart, then one step
for name, options, probs, want in cases:
    for i, p in enumerate(probs):
        comp.render(bitmap(frame), h, w, p, options if i else options.changed(smoothing=0.0))
    pixels = js.Uint8Array.new(w * h * 4)
    gl.bindFramebuffer(gl.FRAMEBUFFER, None)
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, pixels)
    got = np.frombuffer(pixels.to_bytes(), np.uint8).reshape(h, w, 4)[::-1]
    diff = np.abs(got.astype(int) - composite(frame, want, options, back).astype(int))[..., :3]
    errors[name] = int(diff.max())
if d.background is not None:
    comp.upload_image("background", d.background, d.background.height, d.background.width)
errors
"""


def test_gl_effects_match_numpy(demo):
    errors = demo.evaluate("(code) => window.demo.call('run_python', {code})", GL_VS_NUMPY)
    assert set(errors) == {"blur", "replace", "overlay", "mask", "ema"}
    assert max(errors.values()) <= 2, errors  # 8-bit levels: rounding of RGBA8 / R16F intermediates

LOSE_CONTEXT = """
from pyapp.browser import demo
demo.LOSE = demo.DEMO["demo"].gl.getExtension("WEBGL_lose_context")
demo.LOSE.loseContext()
"""


def test_lost_webgl_context_falls_back_to_cpu_and_recovers(demo, camera_file, assets_dir):
    set_controls(demo, effect="mask", backend="webgl", flip=False, resolution="medium")
    demo.evaluate("(code) => window.demo.call('run_python', {code})", LOSE_CONTEXT)
    set_controls(demo)  # two frames made while the context is lost
    stats = demo.evaluate("window.demo.call('demo_stats')")
    assert "context lost" in stats["reason"]
    demo.evaluate("(code) => window.demo.call('run_python', {code})", "from pyapp.browser import demo\ndemo.LOSE.restoreContext()")
    deadline = time.monotonic() + 60
    while "context lost" in demo.evaluate("window.demo.call('demo_stats')")["reason"]:
        assert time.monotonic() < deadline, "the WebGL context was not restored within 60 s"
        time.sleep(0.2)
    set_controls(demo)
    shown = decode_png(demo.evaluate(SNAPSHOT))
    frame = np.asarray(Image.fromarray(camera_file[1]).resize((320, 240), Image.BILINEAR))
    assert iou(shown[..., 0] > 127, reference_mask(frame, "selfie", assets_dir)) >= 0.9


@pytest.mark.parametrize("camera_file", [pytest.param((1280, 720), id="1280x720")], indirect=True)  # its own browser
@pytest.mark.parametrize("backend", ["cpu", "webgl"])
def test_hd_camera_runs_at_full_size(demo, camera_file, assets_dir, backend):
    set_controls(demo, effect="mask", backend=backend, flip=False, resolution="full")
    shown = decode_png(demo.evaluate(SNAPSHOT))
    frames, t0 = demo.evaluate("window.demo.frames"), time.monotonic()
    time.sleep(4)  # frames keep coming at this size: several in 4 s at the rates measured (1.5-2.4 fps)
    seg_fps = (demo.evaluate("window.demo.frames") - frames) / (time.monotonic() - t0)
    assert seg_fps > 0 and demo.text_content("#seg-fps").endswith("fps")
    assert demo.text_content("#frame-size") == "1280×720"
    assert shown.shape == (720, 1280, 3)  # the output canvas: full resolution is the camera's size
    assert demo.evaluate("window.demo.stats.backend") == backend
    assert iou(shown[..., 0] > 127, reference_mask(camera_file[1], "selfie", assets_dir)) >= 0.9


def test_single_image_mode_on_camera_png(playwright, server_url, assets_dir):
    """No camera at all: the message says so, and a chosen photo is segmented and offered as PNGs."""
    browser = launch(playwright, drop=FAKE_CAMERA)
    try:
        page = open_demo(browser, server_url, permissions=["camera"])
        page.click("#camera-toggle")
        page.wait_for_selector("#camera-error:not([hidden])")
        assert "No camera was found" in page.text_content("#camera-error")
        page.set_input_files("#image-file", str(assets_dir / "images" / "camera.png"))
        page.wait_for_function("window.demo.image !== undefined", timeout=120_000)
        mask = decode_png(page.evaluate(BLOB_URL, "mask"))[..., 0] > 127
        photo = np.asarray(Image.open(assets_dir / "images" / "camera.png").convert("RGB"))
        assert mask.shape == photo.shape[:2]
        assert iou(mask, reference_mask(photo, "selfie", assets_dir)) >= 0.9
        assert page.is_visible("#download-mask") and page.is_visible("#download-composite")
        composite_png = decode_png(page.evaluate(BLOB_URL, "composite"))
        assert composite_png.shape == photo.shape
    finally:
        browser.close()


def test_permission_denied_is_explained(playwright, server_url):
    browser = launch(playwright, drop=["--use-fake-ui-for-media-stream"])
    try:
        page = open_demo(browser, server_url)  # no camera permission granted
        page.click("#camera-toggle")
        page.wait_for_selector("#camera-error:not([hidden])")
        assert "permission was denied" in page.text_content("#camera-error")
        assert page.is_enabled("#image-file")  # the photo / video path stays open
    finally:
        browser.close()
