"""Worker calls for the WebGL2 backend: check a model against reference outputs, and time it.

Model files come with a plain fetch here (the cached loader lives in models.py); these calls are for
tests and benchmarks.
"""

from __future__ import annotations

import io
import time

import numpy as np

from ..backends import webgl
from ..graph import build_graph
from ..model import model_weights, parse_model_json
from .gl import Host, shared_context
from .rpc import method

async def fetch_bytes(url: str) -> bytes:
    from pyodide.http import pyfetch

    response = await pyfetch(url)
    if not response.ok:
        raise OSError(f"GET {url}: HTTP {response.status}")
    return await response.bytes()


async def fetch_npy(url: str) -> np.ndarray:
    return np.load(io.BytesIO(await fetch_bytes(url)))


async def fetch_model(url: str):
    """(ModelSpec, weights) of model.json at url and its shards."""
    spec = parse_model_json(await fetch_bytes(url), url)
    base = url.rsplit("/", 1)[0]
    return spec, model_weights(spec, {p: await fetch_bytes(f"{base}/{p}") for p in spec.shard_paths()})


async def fetch_graph(url: str):
    spec, weights = await fetch_model(url)
    return spec, build_graph(spec, weights)


def compile_graph(graph, storage: str | None = None) -> webgl.WebGLRunner:
    return webgl.compile(graph, gl=shared_context(), host=Host, storage=storage)


def error_of(got: np.ndarray, want: np.ndarray) -> dict:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    span = float(want.max() - want.min()) if want.size else 0.0
    err = float(np.abs(got - want).max()) if want.size else 0.0
    return {"shape": list(got.shape), "want_shape": list(want.shape), "max_abs": err, "range": span,
            "relative": err / span if span else err, "finite": bool(np.isfinite(got).all())}


@method("webgl_check_model")
async def check_model(model_url: str, input_url: str, output_urls: list[str], storage: str | None = None) -> dict:
    """Run the model on the WebGL backend; per output, its error against the reference arrays."""
    spec, graph = await fetch_graph(model_url)
    runner = compile_graph(graph, storage)
    x = await fetch_npy(input_url)
    try:
        got = runner.run({spec.inputs[0].name: x})
        errors = [error_of(got[t.name], await fetch_npy(u)) for t, u in zip(spec.outputs, output_urls)]
        return {"outputs": errors, **runner.stats()}
    finally:
        runner.dispose()


@method("webgl_profile")
async def profile(model_url: str, input_url: str) -> list:
    """Milliseconds per pass (the GPU drained after each), slowest first."""
    spec, graph = await fetch_graph(model_url)
    runner = compile_graph(graph)
    feeds = {spec.inputs[0].name: await fetch_npy(input_url)}
    try:
        runner.run(feeds)
        return sorted(runner.executor.gpu_profile(feeds), key=lambda p: -p[1])
    finally:
        runner.dispose()


@method("webgl_bench")
async def bench(model_url: str, input_url: str, runs: int = 50, storage: str | None = None) -> dict:
    """Load → first result, then the median of `runs` inferences with outputs read back, and the
    share of each inference spent in Python walking the plan (timed without the GPU's finish)."""
    spec, graph = await fetch_graph(model_url)
    x = await fetch_npy(input_url)
    feeds = {spec.inputs[0].name: x}
    t0 = time.perf_counter()
    runner = compile_graph(graph, storage)  # plan, compile, upload weights, one warm-up run
    load_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    runner.run(feeds)
    first_ms = (time.perf_counter() - t0) * 1000
    try:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            runner.run(feeds)
            times.append((time.perf_counter() - t0) * 1000)
        return {"load_ms": load_ms, "first_ms": first_ms, "median_ms": float(np.median(times)),
                "p95_ms": float(np.percentile(times, 95)), "dispatch": runner.executor.dispatch_profile(feeds),
                **runner.stats()}
    finally:
        runner.dispose()
