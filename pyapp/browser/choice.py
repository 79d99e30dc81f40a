"""Backend "auto" for load_model: a short measured probe. Each backend that can run here (wasm, webgl,
cpu) is built for the model and timed on PROBE_RUNS inferences of a zero input after its load's own
warm-up; the fastest median wins, and the reason names every time."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..api import GraphModel
from ..errors import PyappError

CANDIDATES = ("wasm", "webgl", "cpu")
PROBE_RUNS = 3


def probe_input(model: GraphModel) -> dict[str, np.ndarray]:
    return {t.name: np.zeros([1 if d is None else d for d in t.shape or ()], t.dtype) for t in model.inputs}


def choose(spec, weights, build: Callable[..., GraphModel]) -> tuple[GraphModel, str]:
    """(the model on the fastest backend here, why); build(spec, weights, backend) makes each."""
    timings, skipped, models = {}, [], {}
    for backend in CANDIDATES:
        try:
            model = build(spec, weights, backend)
            runner = model._runner(model.output_names)
            if unavailable := getattr(runner, "unavailable", None):  # wasm without its module: numpy anyway
                raise PyappError(unavailable)
            feeds = probe_input(model)
            times = []
            for _ in range(PROBE_RUNS + 1):  # the first is warm-up for cpu, which has none at load
                t0 = time.perf_counter()
                model.predict(feeds)
                times.append((time.perf_counter() - t0) * 1000)
        except PyappError as e:
            skipped.append(f"{backend} unavailable ({e})")
            continue
        timings[backend], models[backend] = float(np.median(times[1:])), model
    if not timings:
        raise PyappError("auto: no backend can run this model here: " + "; ".join(skipped))
    best = min(timings, key=timings.get)
    for backend, model in models.items():
        if backend != best:
            model.dispose()
    measured = ", ".join(f"{b} {ms:.1f} ms" for b, ms in sorted(timings.items(), key=lambda kv: kv[1]))
    return models[best], f"auto: fastest in a {PROBE_RUNS}-run probe ({measured} per inference)" + "".join(f"; {s}" for s in skipped)
