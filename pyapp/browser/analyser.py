"""Worker calls for the model analyser page (static/analyse.js is its glue):

    analyse_load(url | files, backend)  the model card, and the model ready to run (or why not)
    analyse_run(model, image, options, draw)  outputs described; image outputs drawn as ImageBitmaps
    analyse_profile(model, image, options)  per-step times (numpy per node, WebGL per pass)
    analyse_compare(model, image, options)  every backend on the same input: times, max difference
    analyse_npy(model, output)  the last run's output as .npy bytes
    analyse_task(model, image)  a task model (pyapp.tasks) as its task: faces, pose, mask, labels
    analyse_dispose(model)

A model comes from a same-origin URL (its shards fetched beside it) or from files the page read
with the File API ({name: ArrayBuffer}, never uploaded). Image outputs of a WebGL run are drawn
straight from the output texture onto the context's own canvas (no readback), or read back and put
on a 2D canvas: both paths are timed.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field

import js
import numpy as np
from pyodide.ffi import to_js

from .. import analysis
from ..api import check_input
from ..effects.gl import Compositor
from ..errors import InputError, PyappError, WeightsError
from ..graph import build_graph
from ..commands.inspect import model_card
from ..model import ModelSpec, model_weights, parse_model_json
from ..model.shards import shard_records, verify_shard
from ..tasks import CONFIGS, TASKS
from ..tasks.config import model_name
from ..tasks.task import Task
from ..commands.profile import RUNS, median_ms, profile_cpu, profile_in_turns
from .canvas import canvas_2d, image_data
from .gl import Host, shared_context
from .choice import choose
from .models import build_model, shard_url
from .rpc import method
from .tasks_methods import PLAIN, image_array

BACKENDS = ("cpu", "webgl", "wasm")
OUTPUT_SHADER = """#version 300 es
precision highp float;
uniform vec2 size;
uniform highp sampler2D image;
uniform float lo;
uniform float hi;
uniform int channels;
out vec4 colour;
void main() {
  // texel (w, h) of a [1, H, W, C <= 4] output holds its C values; rows top-first
  vec4 v = clamp((texelFetch(image, ivec2(gl_FragCoord.x, size.y - gl_FragCoord.y), 0) - lo) / (hi - lo), 0.0, 1.0);
  colour = channels == 1 ? vec4(v.rrr, 1.0) : vec4(v.rgb, channels == 4 ? v.a : 1.0);
}
"""


@dataclass
class Analysed:
    spec: ModelSpec
    graph: object
    weights: dict
    name: str  # the folder model.json is in: the model's key in pyapp.tasks.CONFIGS when it is a task model
    models: dict = field(default_factory=dict)  # backend -> GraphModel (its runner runs; a task model takes it)
    backend: str = "cpu"
    last: dict = field(default_factory=dict)  # output name -> array, of the last run
    first_ms: float | None = None
    times: deque = field(default_factory=lambda: deque(maxlen=200))  # (finished at, ms) of recent runs
    task: Task | None = None  # made on the first analyse_task


LOADED: dict[str, Analysed] = {}
_ids = itertools.count(1)
VIEWS: list = []  # the output view on the shared WebGL context, made on first use


async def fetch_bytes(url: str) -> bytes | None:
    """The body, or None on a 404 (a missing shard is shown on the card, then named by the loader)."""
    from pyodide.http import pyfetch

    response = await pyfetch(url)
    if response.status == 404:
        return None
    if not response.ok:
        raise WeightsError(f"GET {url}: HTTP {response.status}")
    return await response.bytes()


async def model_files(url: str) -> tuple[bytes, dict[str, bytes | None]]:
    """model.json and its shards from a URL of this page's origin."""
    resolved = js.URL.new(url, js.location.href)
    if resolved.origin != js.location.origin:
        raise InputError(f"{url}: only models of this page's origin ({js.location.origin}) can be loaded; "
                         "download the files and drop them here instead")
    text = await fetch_bytes(resolved.href)
    if text is None:
        raise WeightsError(f"{resolved.href}: not found (HTTP 404)")
    spec = parse_model_json(text, resolved.href, values=False)
    return text, {p: await fetch_bytes(shard_url(p, resolved.href)) for p in spec.shard_paths()}


def as_bytes(value) -> bytes:
    """A file's contents as the message brought them: ArrayBuffer / typed array proxy, or a buffer."""
    return value.to_bytes() if hasattr(value, "to_bytes") else bytes(value)


def local_files(files: dict) -> tuple[bytes, dict[str, bytes], str]:
    """{file name: contents} from the page -> model.json, shards by file name, and model.json's name."""
    files = {str(name).rsplit("/", 1)[-1]: as_bytes(data) for name, data in files.items()}
    names = [n for n in files if n.endswith(".json")]
    if len(names) != 1:
        raise InputError(f"choose one model.json with its shards (got {len(names)} .json files: {', '.join(names) or 'none'})")
    return files.pop(names[0]), files, names[0]


def compile_runner(entry: Analysed, backend: str):
    """The model's runner on `backend`, built once (models.build_model: the worker's GL context for webgl)."""
    if backend not in entry.models:
        entry.models[backend] = build_model(entry.spec, entry.weights, backend)
    return entry.models[backend].runner()


@method("analyse_load")
async def analyse_load(url: str | None = None, files=None, backend: str = "auto") -> dict:
    """{card, model (an id, or None when it cannot run), backend, reason, error, load_ms}."""
    t0 = time.perf_counter()
    if files is not None:
        text, shards, source = local_files(files)
        source = f"local: {source}"
    elif url:
        (text, shards), source = await model_files(url), url
    else:
        raise InputError("choose a model: a served one, a URL, or model.json and its shards")
    spec = parse_model_json(text, source)
    sizes = {p: None if shards.get(p) is None else len(shards[p]) for p in spec.shard_paths()}
    try:
        records = shard_records(spec.raw)
        for path, data in shards.items():
            if data is not None and path in records:
                verify_shard(path, data, records[path]["bytes"], records[path]["sha256"])
        if missing := [p for p in spec.shard_paths() if shards.get(p) is None]:
            raise WeightsError(f"missing shard{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        weights = model_weights(spec, {p: d for p, d in shards.items() if d is not None})
        graph = build_graph(spec, weights)
    except PyappError as e:
        return {"card": model_card(spec, sizes, None, str(e)), "model": None, "error": f"{type(e).__name__}: {e}"}
    entry = Analysed(spec, graph, weights, "" if files is not None else model_name(url))
    reason = "chosen"
    if backend == "auto":  # load_model's: the backend a short measured probe finds fastest here
        model, reason = choose(spec, weights, build_model)
        backend = model.backend
        entry.models[backend] = model
    compile_runner(entry, backend)
    entry.backend = backend
    model_id = f"a{next(_ids)}"
    LOADED[model_id] = entry
    return {"card": model_card(spec, sizes, graph), "model": model_id, "backend": backend, "reason": reason,
            "task": task_kind(entry.name), "error": None, "load_ms": (time.perf_counter() - t0) * 1000}


def task_kind(name: str) -> str | None:
    """The task a model of this name runs (pyapp.tasks.CONFIGS), if any."""
    return CONFIGS[name].task if name in CONFIGS else None


def _entry(model: str) -> Analysed:
    if model not in LOADED:
        raise InputError(f"no loaded model {model!r} (loaded: {', '.join(LOADED) or 'none'})")
    return LOADED[model]


def feeds_of(entry: Analysed, image, options: dict | None) -> dict[str, np.ndarray]:
    if len(entry.spec.inputs) != 1:
        raise InputError(f"the model has {len(entry.spec.inputs)} inputs: the analyser runs one-input models")
    spec = entry.spec.inputs[0]
    x = analysis.model_input(image_array(image), spec, analysis.InputOptions.of(options))
    return {spec.name: check_input(spec, x)}


def bitmap_of(rgba: np.ndarray):
    h, w = rgba.shape[:2]
    canvas, ctx = canvas_2d(w, h)
    ctx.putImageData(image_data(np.ascontiguousarray(rgba)), 0, 0)
    return canvas.transferToImageBitmap()


def output_view():
    """A Compositor on the shared context with one more program: an output texture drawn to the canvas."""
    if not VIEWS:
        view = Compositor(shared_context(), Host)
        view.add_program("output", OUTPUT_SHADER, ("size", "image", "lo", "hi", "channels"))
        VIEWS.append(view)
    return VIEWS[0]


def draw_texture(texture, h: int, w: int, c: int, lo: float, hi: float):
    """The output texture drawn on the shared context's canvas, handed over as an ImageBitmap."""
    view = output_view()
    canvas = view.gl.canvas
    canvas.width, canvas.height = w, h
    gl = view.gl
    view.draw("output", None, {"image": texture}, lo=float(lo), hi=float(hi), channels=("1i", int(c)))
    # one texel read back: waits for the GPU, so the time compares with the readback path's
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, js.Uint8Array.new(4))
    return canvas.transferToImageBitmap()


@method("analyse_run")
def analyse_run(model: str, image, options: dict | None = None, draw: str = "readback") -> dict:
    """One run on the model's backend. draw: "readback" (outputs read into numpy, images put on a 2D
    canvas) or "webgl" (image outputs drawn from their textures; needs the webgl backend)."""
    entry = _entry(model)
    feeds = feeds_of(entry, image, options)
    runner = compile_runner(entry, entry.backend)
    on_gpu = draw == "webgl" and entry.backend == "webgl"
    t0 = time.perf_counter()
    outputs = runner.run(feeds)
    run_ms = (time.perf_counter() - t0) * 1000
    entry.first_ms = run_ms if entry.first_ms is None else entry.first_ms
    entry.times.append((time.perf_counter(), run_ms))
    entry.last = outputs
    described, images = [], {}
    for name, array in outputs.items():
        info = analysis.describe_output(name, array)
        if info["kind"] == "image":
            t = time.perf_counter()
            lo, hi = analysis.display_range(info)
            images[name] = bitmap_of(analysis.to_rgba(array, lo, hi))
            info["readback_draw_ms"] = run_ms + (time.perf_counter() - t) * 1000
            if on_gpu:
                info.update(gpu_draw(runner, feeds, name, analysis.image_shape(array.shape)[2], lo, hi))
                images[name] = info.pop("bitmap")
        described.append(info)
    return {"outputs": described, "images": images, "backend": entry.backend, "run_ms": run_ms,
            "first_ms": entry.first_ms, "speed": speed(entry), "draw": "webgl" if on_gpu else "readback"}


def gpu_draw(runner, feeds, name: str, channels: int, lo: float, hi: float) -> dict:
    """The same run again with the output left on the GPU and drawn from its texture, timed until
    the GPU has drawn it (a one-texel read) and the bitmap is in hand."""
    t = time.perf_counter()
    runner.run(feeds, readback=False)
    texture, w, h = runner.output_textures()[name]
    bitmap = draw_texture(texture, h, w, channels, lo, hi)
    return {"bitmap": bitmap, "webgl_draw_ms": (time.perf_counter() - t) * 1000}


def speed(entry: Analysed) -> dict:
    """Latency of recent runs, and frames per second over the last 2 s of them."""
    recent = [t for t in entry.times if t[0] >= entry.times[-1][0] - 2.0]
    fps = (len(recent) - 1) / (recent[-1][0] - recent[0][0]) if len(recent) > 1 and recent[-1][0] > recent[0][0] else None
    return {**analysis.latency([ms for _, ms in entry.times]), "fps": fps}


@method("analyse_profile")
def analyse_profile(model: str, image, options: dict | None = None, runs: int = RUNS) -> dict:
    entry = _entry(model)
    feeds = feeds_of(entry, image, options)
    runs = max(1, int(runs))
    if entry.backend == "cpu":
        return profile_cpu(entry.graph, feeds, runs)
    runner = compile_runner(entry, entry.backend)
    runner.run(feeds)
    if entry.backend == "wasm":  # ms per kind of step (gemm, depthwise, numpy...), every call timed
        return profile_in_turns("wasm", lambda: runner.run(feeds), lambda: [(kind, kind, ms) for kind, ms in runner.profile(feeds)["kinds_ms"].items()], runs)

    def passes():
        return [(name, name.split(" ")[0].split("+")[0], ms) for name, ms in runner.executor.gpu_profile(feeds)]

    return profile_in_turns("webgl", lambda: runner.run(feeds), passes, runs)


@method("analyse_compare")
def analyse_compare(model: str, image, options: dict | None = None, runs: int = 3) -> dict:
    """Every backend that can run the model, on the same input: median ms and the max difference of
    each output from the numpy backend's."""
    entry = _entry(model)
    feeds = feeds_of(entry, image, options)
    outputs, times, problems = {}, {}, {}
    for backend in BACKENDS:
        try:
            runner = compile_runner(entry, backend)
            outputs[backend] = runner.run(feeds)
            times[backend] = median_ms(lambda: runner.run(feeds), runs)
        except PyappError as e:
            problems[backend] = f"{type(e).__name__}: {e}"
    return {"ms": times, "max_diff": analysis.max_differences(outputs) if "cpu" in outputs else {}, "problems": problems}


@method("analyse_npy")
def analyse_npy(model: str, output: str):
    entry = _entry(model)
    if output not in entry.last:
        raise InputError(f"no output {output!r} of the last run (outputs: {', '.join(entry.last) or 'none: run first'})")
    return to_js(analysis.npy_bytes(entry.last[output]))


@method("analyse_task")
def analyse_task(model: str, image) -> dict:
    """The model run as its task (pyapp.tasks: the task's own preprocessing and decoding) on the
    image: the result as task_run gives it, in the image's pixels; a segmentation's mask comes as
    an ImageBitmap of the image's size (its alpha the task's edge ramp)."""
    entry = _entry(model)
    if (kind := task_kind(entry.name)) is None:
        raise InputError(f"no task known for model {entry.name or '(local files)'!r}: tasks run the models named "
                         f"{', '.join(CONFIGS)}, served from a folder of that name")
    if entry.task is None:
        entry.task = TASKS[kind](entry.models[entry.backend], entry.name)  # disposed with the entry's models
    array = image_array(image)
    result = getattr(entry.task, entry.task.verb)(array)
    answer = {"kind": kind, **PLAIN[kind](result), "width": int(array.shape[1]), "height": int(array.shape[0]),
              "timings": entry.task.timings, "images": {}}
    if kind == "segment":
        answer.pop("probability")
        answer["images"]["mask"] = bitmap_of(analysis.mask_rgba(result.alpha))
    return answer


@method("analyse_dispose")
def analyse_dispose(model: str) -> bool:
    entry = LOADED.pop(model, None)
    for graph_model in (entry.models.values() if entry else ()):
        graph_model.dispose()
    return entry is not None
