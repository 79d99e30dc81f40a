"""Worker calls for the webcam segmentation demo (static/demo.js is the page's glue).

Each camera frame arrives as a transferred ImageBitmap already at the processing size; the
composited frame goes back as a transferred ImageBitmap in a "demo-frame" event, which the page
shows with a bitmaprenderer canvas. Rendering into the worker's own OffscreenCanvases (a 2D one for
the CPU backend, a WebGL2 one for the GPU) lets the backend change while running: one canvas could
hold only one kind of context.
  CPU backend: bitmap -> 2D canvas -> numpy -> model -> numpy composite -> putImageData.
  WebGL backend: the model runs on the compositor's WebGL2 context; frame and mask are textures and
  the effect is drawn on the GPU (pyapp.effects.gl).
Faces mode: FaceDetector (pyapp.tasks, blazeface) on each frame; the frame goes back as above and
the faces, in its pixels, as the call's answer: the page draws them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque

import js
import numpy as np

from ..api import GraphModel
from ..effects import Options, SEGMENTERS, probability
from ..effects.cpu import Smoother, composite, edge_alpha
from ..effects.gl import Compositor
from ..effects.options import RESOLUTIONS
from ..effects.segment import resize
from ..errors import PyappError
from . import models
from .canvas import blank, canvas_2d, image_data, pixels, size_of
from .fetch import DEFAULT_CONCURRENCY
from .gl import Host, WebGLUnavailable, context_info, create_context
from .jsbridge import js_object
from .rpc import event, method, post
from .tasks_methods import load_task

SOFTWARE_RENDERERS = re.compile(r"swiftshader|llvmpipe|softpipe|software", re.I)
PROBE_RUNS = 3  # timed frames per backend, after one warm-up
# Medians with numpy: the statistics module would add its decimal and fractions imports to the
# worker (and to its memory snapshot, which holds this module).


def gpu_done(gl) -> None:
    """Waits until the GPU has done all the work queued so far: a one-texel read of the framebuffer
    drawn last (4 floats, not the mask). A fence polled with clientWaitSync from the worker was
    measured slower: selfie's frame took 139 ms that way against 74 ms with this read."""
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, Host.f32_view(np.empty(4, np.float32)))


class Demo:
    def __init__(self, models: dict[str, str], options: Options):
        self.models, self.options = models, options
        self.loaded: dict[str, tuple] = {}  # model -> (its ModelSpec, its weights), as loaded
        self.warnings: list[str] = []  # from model loading (the cache being off, say)
        self.runners: dict[tuple[str, str], object] = {}  # (model, backend) -> runner
        self.choices: dict[tuple[str, str], tuple[str, str]] = {}  # (model, resolution) -> (backend, why) for "auto"
        self.backend, self.reason = "cpu", ""
        self.gl = self.gl_canvas = self.compositor = None
        self.gl_problem: str | None = None
        self.restores = 0  # context restores the compositor was made after
        self.note = ""  # what the page should know beyond the backend's reason
        self.frame_canvas, self.frame_ctx = canvas_2d(1, 1)
        self.input_canvas, self.input_ctx = canvas_2d(1, 1)
        self.smoother = Smoother()
        self.background = None  # ImageBitmap as set by the page
        self.background_pixels: dict[tuple[int, int], np.ndarray] = {}
        self.inference_ms: deque[float] = deque(maxlen=30)
        self.frames = 0
        self.detectors: dict[str, tuple[object, dict]] = {}  # backend asked for -> (FaceDetector, how it loaded)

    # -- WebGL2 -----------------------------------------------------------------------------------
    def webgl(self) -> str | None:
        """Sets up the compositor's context once; returns why WebGL cannot be used, or None."""
        if self.compositor is None and self.gl_problem is None:
            try:
                self.gl = create_context()
                self.gl_canvas = self.gl.canvas
                if self.gl.getExtension("EXT_color_buffer_float") is None:
                    raise WebGLUnavailable("WebGL2 here cannot render to float textures (no EXT_color_buffer_float)")
                self.new_compositor()
            except PyappError as e:
                self.gl_problem = str(e)
        return self.gl_problem

    def new_compositor(self) -> None:
        self.compositor, self.restores = Compositor(self.gl, Host), Host.restores(self.gl)
        if self.background is not None:
            self.compositor.upload_image("background", self.background, self.background.height, self.background.width)

    def gpu_usable(self) -> bool:
        """False while the WebGL context is lost. After the browser restores it the compositor is
        made again (the model's runner rebuilds itself)."""
        if self.gl.isContextLost():
            self.note = "WebGL context lost: frames run on the CPU until the browser restores it"
            return False
        if Host.restores(self.gl) != self.restores:
            self.new_compositor()
        self.note = ""
        return True

    def renderer(self) -> str:
        return context_info(self.gl)["renderer"]

    # -- models and backends ----------------------------------------------------------------------
    async def spec_weights(self, name: str) -> tuple:
        """The model's spec and weights, loaded once (cached, with progress); each backend builds on them."""
        if name not in self.loaded:
            if name not in self.models:
                raise PyappError(f"model {name!r} is not served here (served: {', '.join(sorted(self.models))})")
            loaded, info = await models.load(self.models[name], lambda spec, weights: ((spec, weights), ""),
                                             DEFAULT_CONCURRENCY)
            self.loaded[name], self.warnings = loaded, self.warnings + info["warnings"]
        return self.loaded[name]

    async def runner(self, name: str, backend: str):
        if (name, backend) not in self.runners:
            spec, weights = await self.spec_weights(name)
            event("demo-progress", model=name, stage=f"compile ({backend})", done=0, total=1)
            await asyncio.sleep(0)  # let the event out before a long compile
            # webgl runs on the compositor's context: the mask texture goes to it without a copy
            options = {"gl": self.gl, "host": Host} if backend == "webgl" else {}
            runner = GraphModel(spec, weights, backend, **options).runner()
            self.runners[name, backend] = runner
            await self.segment(name, backend, blank(*SEGMENTERS[name].size))  # GL programs finish compiling
            event("demo-progress", model=name, stage=f"compile ({backend})", done=1, total=1)
        return self.runners[name, backend]

    async def segment(self, name: str, backend: str, bitmap, readback: bool = True):
        """Runs the model on a bitmap: (P(person) as numpy, or None when it stays on the GPU; the mask
        as the compositor takes it). Times the inference, the GPU's part included."""
        runner = self.runners[name, backend]
        t0 = time.perf_counter()
        if backend == "webgl":  # resized and normalised on the GPU; the output stays there
            outputs = runner.run_image(runner.graph.inputs[0], bitmap, readback=readback)
            if not readback:
                gpu_done(self.gl)  # the GPU's time belongs to the inference
            (mask,) = runner.output_textures().values()
            prob = probability(name, next(iter(outputs.values()))) if readback else None
        else:
            (output,) = runner.run({runner.graph.inputs[0]: self.model_input(name, bitmap)}).values()
            mask = prob = probability(name, output)
        self.inference_ms.append((time.perf_counter() - t0) * 1000)
        return prob, mask

    async def switch(self, options: Options) -> None:
        """Readies the options' model on the backend they ask for, then switches to both at once:
        frames arriving meanwhile still use the previous model and backend."""
        backend, reason = await self.choose(options)
        await self.runner(options.model, backend)
        self.options, self.backend, self.reason = options, backend, reason
        self.inference_ms.clear()  # the median describes the model and backend now running

    async def choose(self, options: Options) -> tuple[str, str]:
        """(backend, why) for the options' model and the backend they ask for."""
        name, want = options.model, options.backend
        problem = None if want in ("cpu", "wasm") else self.webgl()
        if want in ("cpu", "wasm"):
            return want, "chosen"
        if problem and want == "webgl":
            return "cpu", f"WebGL2 unusable: {problem}"
        if want == "webgl":
            return "webgl", "chosen"
        if not problem and not SOFTWARE_RENDERERS.search(renderer := self.renderer()):
            return "webgl", f"auto: hardware WebGL2 ({renderer})"
        if (name, options.resolution) not in self.choices:
            why = f"WebGL2 unusable: {problem}" if problem else f"software renderer ({SOFTWARE_RENDERERS.search(renderer).group(0)})"
            self.choices[name, options.resolution] = await self.probe(options, why, ("wasm", "cpu") if problem else ("webgl", "wasm", "cpu"))
        return self.choices[name, options.resolution]

    async def probe(self, options: Options, why: str, backends: tuple[str, ...]) -> tuple[str, str]:
        """On a software renderer (or without WebGL2) the CPU may win: time whole frames (inference and
        compositing) of a 640x480 camera at the options' resolution on each backend, take the fastest."""
        name, ms = options.model, {}
        scale = RESOLUTIONS[options.resolution]
        h, w = round(480 * scale), round(640 * scale)
        frame = blank(h, w)
        for backend in backends:
            await self.runner(name, backend)
            event("demo-progress", model=name, stage=f"probe ({backend})", done=0, total=1)
            await asyncio.sleep(0)
            times = []
            for _ in range(PROBE_RUNS + 1):  # the first (compositor set-up) is not counted
                t0 = time.perf_counter()
                await self.render(frame, options, Smoother(), backend=backend)
                if backend == "webgl":
                    gpu_done(self.gl)
                times.append((time.perf_counter() - t0) * 1000)
            ms[backend] = float(np.median(times[1:]))
        frame.close()
        best = min(ms, key=ms.get)
        measured = ", ".join(f"{b} {ms[b]:.0f} ms" for b in backends)
        return best, f"auto: {why}; probe on {name}, {w}×{h} frames: {measured} per frame"

    # -- frames -----------------------------------------------------------------------------------
    def model_input(self, name: str, bitmap) -> np.ndarray:
        """The bitmap stretched to the model's input by the browser's 2D canvas, RGB in [0, 1]."""
        h, w = SEGMENTERS[name].size
        if (self.input_canvas.width, self.input_canvas.height) != (w, h):
            self.input_canvas.width, self.input_canvas.height = w, h
        self.input_ctx.drawImage(bitmap, 0, 0, w, h)
        return pixels(self.input_ctx, w, h)[None, ..., :3].astype(np.float32) / np.float32(255)

    def background_at(self, h: int, w: int) -> np.ndarray | None:
        if self.background is None:
            return None
        if (h, w) not in self.background_pixels:
            canvas, ctx = canvas_2d(w, h)
            ctx.drawImage(self.background, 0, 0, w, h)
            self.background_pixels = {(h, w): pixels(ctx, w, h)}
        return self.background_pixels[h, w]

    async def render(self, bitmap, options: Options, smoother: Smoother, readback: bool = False, backend: str | None = None):
        """Segments and composites one bitmap on `backend` (default: the chosen one); returns
        (canvas holding the result, P(person), or None where it stayed on the GPU)."""
        w, h = bitmap.width, bitmap.height
        backend = backend or self.backend
        if backend == "webgl" and not self.gpu_usable():
            backend = "cpu"
            await self.runner(options.model, backend)
        prob, mask = await self.segment(options.model, backend, bitmap, readback)
        if backend == "webgl":
            if (self.gl_canvas.width, self.gl_canvas.height) != (w, h):
                self.gl_canvas.width, self.gl_canvas.height = w, h
            self.compositor.render(bitmap, h, w, mask, options, SEGMENTERS[options.model].output)
            return self.gl_canvas, prob
        canvas, ctx = self.frame_canvas, self.frame_ctx
        if (canvas.width, canvas.height) != (w, h):
            canvas.width, canvas.height = w, h
        ctx.drawImage(bitmap, 0, 0)
        smoothed = smoother(prob, options.smoothing)
        ctx.putImageData(image_data(composite(pixels(ctx, w, h), smoothed, options, self.background_at(h, w))), 0, 0)
        return canvas, prob

    async def face_detector(self):
        """(FaceDetector, {backend, reason}) for the options' backend, loaded on first use."""
        backend = self.options.backend
        if backend not in self.detectors:
            if "blazeface" not in self.models:
                raise PyappError(f"faces mode needs the blazeface model, not served here (served: {', '.join(sorted(self.models))})")
            event("demo-progress", model="blazeface", stage=f"load ({backend})", done=0, total=1)
            self.detectors[backend] = await load_task("face", self.models["blazeface"], backend)
            event("demo-progress", model="blazeface", stage=f"load ({backend})", done=1, total=1)
        return self.detectors[backend]

    def stats(self) -> dict:
        gl = {"compositor": self.compositor.stats() if self.compositor else None,
              "models": {f"{m}/{b}": r.stats() for (m, b), r in self.runners.items() if b == "webgl"}}
        return {"backend": self.backend, "reason": " · ".join(filter(None, (self.reason, self.note))), "options": self.options.as_dict(), "warnings": self.warnings,
                "frames": self.frames, "inference_ms": float(np.median(self.inference_ms)) if self.inference_ms else None,
                "gl": gl, "gl_textures": sum(s["textures"] for s in [gl["compositor"] or {"textures": 0}, *gl["models"].values()]),
                "gl_programs": sum(s["programs"] for s in [gl["compositor"] or {"programs": 0}, *gl["models"].values()])}


DEMO: dict[str, Demo] = {}


def demo() -> Demo:
    if "demo" not in DEMO:
        raise PyappError("the demo is not started: call demo_start first")
    return DEMO["demo"]


@method("demo_start")
async def start(models: dict, options: dict | None = None) -> dict:
    """models: {name: model.json URL}; options: pyapp.effects.Options fields. Loads the model, picks
    the backend (probing on a software renderer) and returns the stats."""
    d = DEMO["demo"] = Demo(models, Options())
    await d.switch(d.options.changed(**(options or {})))
    return d.stats()


@method("demo_options")
async def set_options(**changes) -> dict:
    d = demo()
    new = d.options.changed(**changes)
    auto_at_another_size = new.backend == "auto" and new.resolution != d.options.resolution  # probed per size
    if (new.model, new.backend) != (d.options.model, d.options.backend) or auto_at_another_size:
        await d.switch(new)
    d.options = new
    return d.stats()


@method("demo_background")
def set_background(image) -> None:
    """The replacement background: an ImageBitmap (bundled image or upload)."""
    d = demo()
    d.background, d.background_pixels = image, {}
    if d.compositor is not None:
        d.compositor.upload_image("background", image, image.height, image.width)


async def scaled(frame, scale: float):
    """A camera VideoFrame (or an ImageBitmap) -> an ImageBitmap `scale` times its size; closes it."""
    w, h = size_of(frame)
    size = {"resizeWidth": max(1, round(w * scale)), "resizeHeight": max(1, round(h * scale)), "resizeQuality": "medium"}
    try:
        return await js.createImageBitmap(frame, js_object(size))
    finally:
        frame.close()


@method("demo_frame")
async def frame(frame) -> dict:
    """One camera frame (a VideoFrame or ImageBitmap, transferred), scaled to the options' resolution
    here; the composited result goes back in a "demo-frame" event (transferred)."""
    d = demo()
    t0 = time.perf_counter()
    bitmap = await scaled(frame, RESOLUTIONS[d.options.resolution])
    try:
        canvas, _ = await d.render(bitmap, d.options, d.smoother)
    finally:
        bitmap.close()
    out = canvas.transferToImageBitmap()
    d.frames += 1
    ms = (time.perf_counter() - t0) * 1000
    post({"kind": "event", "type": "demo-frame", "bitmap": out, "ms": ms}, transfer=[out])
    return {"ms": ms, "inference_ms": d.inference_ms[-1]}


@method("demo_faces")
async def faces(frame) -> dict:
    """Faces mode: one frame (VideoFrame or ImageBitmap, transferred) at the options' resolution,
    mirrored when flip is on, goes back in a "demo-frame" event; the answer holds the faces found
    in it (boxes and keypoints in its pixels), the detector's timings and backend."""
    d = demo()
    detector, loaded = await d.face_detector()
    t0 = time.perf_counter()
    bitmap = await scaled(frame, RESOLUTIONS[d.options.resolution])
    w, h = bitmap.width, bitmap.height
    canvas, ctx = d.frame_canvas, d.frame_ctx
    if (canvas.width, canvas.height) != (w, h):
        canvas.width, canvas.height = w, h
    if d.options.flip:
        ctx.setTransform(-1, 0, 0, 1, w, 0)
    ctx.drawImage(bitmap, 0, 0)
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    bitmap.close()
    found = detector.detect(pixels(ctx, w, h))
    d.inference_ms.append(sum(detector.timings.values()))
    out = canvas.transferToImageBitmap()
    d.frames += 1
    ms = (time.perf_counter() - t0) * 1000
    post({"kind": "event", "type": "demo-frame", "bitmap": out, "ms": ms}, transfer=[out])
    return {"faces": [f.as_dict() for f in found], "width": w, "height": h, "ms": ms, "timings": detector.timings,
            "backend": loaded["backend"], "reason": loaded["reason"]}


@method("demo_image")
async def single_image(image) -> dict:
    """Single-image mode: the composite and the mask (white = person) as PNG blobs."""
    d = demo()
    canvas, prob = await d.render(image, d.options.changed(smoothing=0.0, flip=False), Smoother(), readback=True)
    w, h = image.width, image.height
    composited = await canvas.convertToBlob(js_object({"type": "image/png"}))
    alpha = edge_alpha(resize(prob, h, w), d.options.threshold, d.options.softness)
    grey = np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    mask_canvas, ctx = canvas_2d(w, h)
    ctx.putImageData(image_data(rgba), 0, 0)
    mask = await mask_canvas.convertToBlob(js_object({"type": "image/png"}))
    return {"composite": composited, "mask": mask, "width": w, "height": h}


@method("demo_stats")
def stats() -> dict:
    return demo().stats()

