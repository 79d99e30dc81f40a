"""Worker calls for pyapp.tasks: task_load(kind, url, backend, options) and task_run(task, image)
answer plain dicts (boxes, keypoints, labels), task_dispose(task) frees one.

Images are an ImageBitmap, VideoFrame, ImageData or OffscreenCanvas (read through a 2D canvas), or
an array in models.py's wire format. backend "auto" is load_model's: the backend a short measured
probe finds fastest here (models.builder).
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from ..errors import InputError
from ..tasks import TASKS
from ..tasks.config import model_name
from ..tasks.pose import SKELETON
from ..tasks.task import Task
from . import models
from .canvas import canvas_2d, pixels, size_of
from .fetch import DEFAULT_CONCURRENCY
from .rpc import method

LOADED: dict[str, Task] = {}
_ids = itertools.count(1)


async def load_task(kind: str, url: str, backend: str = "auto", options: dict | None = None) -> tuple[Task, dict]:
    """The task and what loading it did: {backend, reason, load: models.load's report}."""
    if kind not in TASKS:
        raise InputError(f"unknown task kind {kind!r}: choose one of {', '.join(TASKS)}")
    options = dict(options or {})
    name = options.pop("model", None) or model_name(url)
    model, report = await models.load(url, models.builder(backend), DEFAULT_CONCURRENCY)
    reason = report["choice"] or "chosen"
    return TASKS[kind](model, name, **options), {"backend": model.backend, "reason": reason, "load": report}


def image_array(image) -> np.ndarray:
    """An image from the page as (H, W, 3|4) uint8 (or the wire format's dtype)."""
    if isinstance(image, dict):
        return models.from_wire(image)
    w, h = size_of(image)
    canvas, ctx = canvas_2d(w, h)
    if hasattr(image, "data") and not hasattr(image, "close"):  # ImageData: no drawImage for it
        ctx.putImageData(image, 0, 0)
    else:
        ctx.drawImage(image, 0, 0)
    return pixels(ctx, w, h)


# a task's result as the page gets it, by task kind
PLAIN = {
    "face": lambda faces: {"faces": [d.as_dict() for d in faces]},
    "pose": lambda pose: {"pose": pose.as_dict(), "skeleton": [list(pair) for pair in SKELETON]},
    "segment": lambda s: {"probability": models.to_wire(s.probability), "coverage": float(s.mask.mean())},
    "classify": lambda categories: {"categories": [vars(c) for c in categories]},
    "embed": lambda embedding: {"embedding": models.to_wire(embedding)},
}


@method("task_load")
async def task_load(kind: str, url: str, backend: str = "auto", options: dict | None = None) -> dict:
    task, info = await load_task(kind, url, backend, options)
    task_id = f"t{next(_ids)}"
    LOADED[task_id] = task
    return {"task": task_id, "kind": kind, "model": task.name, "options": task.options,
            "preprocess": {"input_size": list(task.config.preprocess.size), "resize": task.config.preprocess.resize,
                           "value_range": task.config.preprocess.value_range}, **info}


@method("task_run")
def task_run(task: str, image) -> dict:
    if task not in LOADED:
        raise InputError(f"no loaded task {task!r} (loaded: {', '.join(LOADED) or 'none'})")
    t0 = time.perf_counter()
    array = image_array(image)
    t1 = time.perf_counter()
    found = LOADED[task]
    result = getattr(found, found.verb)(array)
    timings = {"read": (t1 - t0) * 1000, **found.timings, "total": (time.perf_counter() - t0) * 1000}
    return {**PLAIN[found.kind](result), "width": int(array.shape[1]), "height": int(array.shape[0]), "timings": timings}


@method("task_dispose")
def task_dispose(task: str) -> bool:
    found = LOADED.pop(task, None)
    if found is not None:
        found.dispose()
    return found is not None
