"""The webcam demo's figures in headless Chromium on a fake camera (astronaut.png): page rAF rate,
segmentation fps, inference median and long tasks over 10 s windows, idle (camera stopped) and
running on each backend and on "auto" (with its choice), alternating. Prints one JSON line per window.

    .venv/bin/python -m bench demo [--size 640x480] [--resolution medium] [--rounds 2] [--seconds 10]
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from pyapp.assets import assets_dir
from pyapp.server.local import serving

from . import arguments
from .chromium import CHROMIUM, CHROMIUM_ARGS

WINDOW = """async (ms) => {
  window.longTasks.length = 0;
  const r0 = window.rafCount, f0 = window.demo.frames, t0 = performance.now();
  await new Promise((done) => setTimeout(done, ms));
  const s = (performance.now() - t0) / 1000;
  return {raf_fps: (window.rafCount - r0) / s, seg_fps: (window.demo.frames - f0) / s,
          long_tasks: window.longTasks.map((t) => Math.round(t.duration))};
}"""


def camera_video(folder: Path, width: int, height: int) -> Path:
    video = folder / f"astronaut-{width}x{height}.y4m"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", str(assets_dir() / "images" / "astronaut.png"),
                    "-vf", f"scale=-1:{height},pad={width}:{height}:(ow-iw)/2:0,format=yuv420p", "-r", "20", "-t", "1",
                    str(video)], check=True)
    return video


def window(page, backend: str | None, seconds: float) -> dict:
    """Camera stopped (backend None) or running on `backend`, then one measured window."""
    running = page.text_content("#camera-toggle") == "Stop camera"
    if backend is None:
        if running:
            page.click("#camera-toggle")
    else:
        page.select_option("#backend", backend)
        page.wait_for_function("(b) => window.demo.stats && window.demo.stats.options.backend === b", arg=backend, timeout=180_000)
        if not running:
            page.click("#camera-toggle")
        n = page.evaluate("window.demo.frames")
        page.wait_for_function("(n) => window.demo.frames >= n + 2", arg=n, timeout=60_000)
    r = page.evaluate(WINDOW, int(seconds * 1000))
    return {"mode": backend or "idle", "raf_fps": round(r["raf_fps"], 1), "seg_fps": round(r["seg_fps"], 2),
            "long_tasks_ms": r["long_tasks"], "load_average": os.getloadavg()[0],
            "inference_ms": page.evaluate("window.demo.stats.inference_ms") if backend else None,
            "frame": page.text_content("#frame-size"),
            **({"chosen": page.evaluate("[window.demo.stats.backend, window.demo.stats.reason]")} if backend == "auto" else {})}


def main(argv: list[str]) -> None:
    parser = arguments("demo", __doc__)
    parser.add_argument("--size", default="640x480", help="camera size, one the page offers")
    parser.add_argument("--resolution", default="medium", help="the page's internal resolution")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    width, height = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder, serving() as url, sync_playwright() as p:
        video = camera_video(Path(folder), width, height)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [f"--use-file-for-fake-video-capture={video}"])
        page = browser.new_context(viewport={"width": 1280, "height": 860}, permissions=["camera"]).new_page()
        page.goto(url + "/demo.html")
        page.wait_for_function("window.demo && ['ready', 'error'].includes(window.demo.state)", timeout=180_000)
        print(json.dumps({"reason": page.evaluate("window.demo.stats.reason"), "size": args.size, "resolution": args.resolution}))
        page.select_option("#camera-size", args.size)
        page.select_option("#resolution", args.resolution)
        for _ in range(args.rounds):
            for backend in (None, "cpu", None, "webgl", None, "auto"):
                print(json.dumps(window(page, backend, args.seconds)), flush=True)
        browser.close()
