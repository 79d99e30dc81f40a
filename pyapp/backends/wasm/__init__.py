"""WASM SIMD backend: Python plans, C kernels compiled to WebAssembly SIMD128 compute, on numpy arrays
in Pyodide's own heap (zero copy: a kernel takes addresses).

    kernels/*.c   one file per kernel family (gemm, depthwise, copy, elementwise, pool, resize); no
                  libc, no static data, no stack (tools/wasm_build.py checks), built into kernels.wasm
    module.py     loads kernels.wasm once per process with ctypes.CDLL (Pyodide's dlopen)
    lower.py      plan nodes -> steps: kernel calls (with fused epilogues and chains) or numpy
    pack.py       weights packed at load: GEMM 8-column panels, depthwise 4-channel blocks, bias in front
    arena.py      one float32 arena; offsets from tensor lifetimes
    executor.py   steps -> prepared (kernel, addresses) calls; a run is one flat loop

Where the module cannot load (CPython, or a failed load) the runner runs the numpy executor, and
stats() says why.
"""

from __future__ import annotations

import time
from typing import Mapping

import numpy as np

from ...graph import PIPELINE, Graph, optimize
from ..cpu import CpuExecutor
from .executor import WasmExecutor
from .module import WasmUnavailable, kernels

PASSES = PIPELINE


class WasmRunner:
    """Built for the inputs' shapes; a run with other shapes plans (and lays out) a new executor."""

    def __init__(self, graph: Graph):
        self.graph = optimize(graph, PASSES)
        try:
            self.kernels, self.unavailable = kernels(), None
        except WasmUnavailable as e:
            self.kernels, self.unavailable = None, str(e)
        self.executor = self.build(None) if self.kernels else CpuExecutor(self.graph)

    def build(self, shapes: Mapping[str, tuple[int, ...]] | None) -> WasmExecutor:
        """Plan, lay out, pack, then one run on zeros: the engine compiles a wasm function at its first
        calls, and that belongs to loading, not to the first result."""
        executor = WasmExecutor(self.graph, shapes, self.kernels)
        t0 = time.perf_counter()
        executor.run({name: np.zeros(shape, executor.dtypes[name]) for name, shape in executor.shapes.items()})
        executor.warmup_ms = (time.perf_counter() - t0) * 1000
        return executor

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.kernels is not None:
            shapes = {name: tuple(v.shape) for name, v in feeds.items()}
            if shapes != self.executor.shapes:
                self.executor = self.build(shapes)
        return self.executor.run(feeds)

    def profile(self, feeds: Mapping[str, np.ndarray], runs: int = 5) -> dict:
        self.run(feeds)
        return self.executor.profile(feeds, runs)

    def stats(self) -> dict:
        if self.kernels is None:
            steps = len(self.executor.steps)
            return {"steps": steps, "wasm": 0, "numpy": steps, "unavailable": self.unavailable}
        return {**self.executor.stats(), "module_load_ms": self.kernels.load_ms, "warmup_ms": self.executor.warmup_ms}


def compile(graph: Graph) -> WasmRunner:
    return WasmRunner(graph)


__all__ = ["PASSES", "WasmExecutor", "WasmRunner", "WasmUnavailable", "compile"]
