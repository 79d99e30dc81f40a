"""Face detection per frame, end to end: pyapp.tasks.FaceDetector (blazeface) on a camera-sized
frame, in CPython (numpy) and in the worker (cpu, webgl).

    .venv/bin/python -m bench tasks [--runs 30] [--size 640x480] [--out DIR]

The frame is astronaut.png scaled to the frame's height and centred (black sides), as the demo's
fake camera shows it. Per engine, median and p95 over --runs frames after 3 warm-up frames (excluded)
of each stage: read (worker: the ImageBitmap drawn and read back as an array), preprocess (letterbox to
256x256, value range), model, decode (anchors, scores, boxes, keypoints, weighted NMS), and the total.
Prints a table and writes bench/results/tasks-<date>.json (or in --out).
"""

import base64
import io
import time

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

from pyapp.assets import assets_dir
from pyapp.server.local import serving
from pyapp.tasks import FaceDetector

from . import add_out, arguments, write_results
from .chromium import CHROMIUM, CHROMIUM_ARGS, open_app

WARMUP = 3
STAGES = ("read", "preprocess", "model", "decode", "total")

WORKER = """async ([png, backend, runs]) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const frame = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
  const loaded = await window.pyapp.call("task_load", { kind: "face", url: "/models/blazeface/model.json", backend });
  const results = [];
  for (let i = 0; i < runs; i++) {
    const bitmap = await createImageBitmap(frame);
    results.push(await window.pyapp.call("task_run", { task: loaded.task, image: bitmap }, [bitmap]));
  }
  await window.pyapp.call("task_dispose", { task: loaded.task });
  return { backend: loaded.backend, reason: loaded.reason, runs: results.map((r) => ({ timings: r.timings, faces: r.faces.length })) };
}"""


def camera_frame(width: int, height: int) -> np.ndarray:
    astronaut = Image.open(assets_dir() / "images" / "astronaut.png").convert("RGB")
    side = min(width, height)
    frame = Image.new("RGB", (width, height))
    frame.paste(astronaut.resize((side, side), Image.BILINEAR), ((width - side) // 2, (height - side) // 2))
    return np.asarray(frame)


def cpython(frame: np.ndarray, runs: int) -> dict:
    task = FaceDetector.load(str(assets_dir() / "models" / "blazeface" / "model.json"), backend="cpu")
    samples = []
    for _ in range(WARMUP + runs):
        t0 = time.perf_counter()
        faces = task.detect(frame)
        samples.append({"timings": {**task.timings, "total": (time.perf_counter() - t0) * 1000}, "faces": len(faces)})
    return {"backend": "cpu", "reason": "CPython", "runs": samples[WARMUP:]}


def worker(frame: np.ndarray, runs: int) -> dict:
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, "PNG")
    png = base64.b64encode(buffer.getvalue()).decode()
    out = {}
    with serving() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        open_app(page, url)
        for backend in ("cpu", "webgl"):
            r = page.evaluate(WORKER, [png, backend, WARMUP + runs])
            out[backend] = {**r, "runs": r["runs"][WARMUP:]}
        browser.close()
    return out


def summary(result: dict) -> dict:
    stats = {}
    for stage in STAGES:
        values = [r["timings"][stage] for r in result["runs"] if stage in r["timings"]]
        if values:
            stats[stage] = {"median": float(np.median(values)), "p95": float(np.percentile(values, 95))}
    return {"stages": stats, "faces": sorted({r["faces"] for r in result["runs"]})}


def table(engines: dict) -> str:
    lines = [f"{'engine':22s} " + " ".join(f"{s + ' ms':>17s}" for s in STAGES) + f" {'frames/s':>9s} {'faces':>6s}"]
    for label, s in engines.items():
        cells = [f"{s['stages'][st]['median']:7.2f} / {s['stages'][st]['p95']:5.1f}" if st in s["stages"] else "-"
                 for st in STAGES]
        fps = 1000 / s["stages"]["total"]["median"]
        lines.append(f"{label:22s} " + " ".join(f"{c:>17s}" for c in cells) + f" {fps:9.1f} {','.join(map(str, s['faces'])):>6s}")
    return "\n".join(lines + ["(median / p95 ms per frame)"])


def main(argv: list[str]) -> None:
    parser = arguments("tasks", __doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size", default="640x480", help="frame WIDTHxHEIGHT")
    add_out(parser)
    args = parser.parse_args(argv)
    width, height = map(int, args.size.split("x"))
    frame = camera_frame(width, height)
    raw = {"cpython cpu": cpython(frame, args.runs)}
    raw.update({f"pyapp {backend} worker": r for backend, r in worker(frame, args.runs).items()})
    engines = {label: summary(r) for label, r in raw.items()}
    print(f"blazeface face detection, {width}x{height} frame, {args.runs} frames per engine")
    print(table(engines))
    print(f"wrote {write_results('tasks', argv, args.out, frame=[width, height], summary=engines, raw=raw)}")
