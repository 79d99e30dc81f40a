"""Worker calls for the wasm backend's measurements: `wasm_bench` (load, first and steady run, kernel
time per step kind, the Python dispatch share)."""

from __future__ import annotations

import time

import numpy as np

from ..api import GraphModel
from .models import LOADED
from .rpc import method


@method("wasm_bench")
def bench(model: str, inputs: dict, runs: int = 30) -> dict:
    """On a model loaded with load_model(url, "wasm"): the median of `runs` in-worker inferences and one
    profiled run (ms per kind of step, dispatch share), with the backend's stats."""
    from ..wire import from_wire

    graph_model: GraphModel = LOADED[model]
    runner = graph_model.runner()
    feeds = {name: from_wire(v) for name, v in inputs.items()}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        runner.run(feeds)
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": float(np.median(times)), "min_ms": float(np.min(times)),
            "profile": runner.profile(feeds), "stats": runner.stats()}
