"""WebGL2 backend: the graph becomes a plan of fused passes over RGBA float32 textures, run by
Python through a WebGL2 context it is given (this package never imports js: the browser side
passes `gl`, and `host` for typed arrays over numpy memory)."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ...errors import PyappError
from ...graph import PIPELINE, Graph, infer_shapes, optimize
from ...ops import Info
from .executor import ContextLost, ShaderError, WebGLExecutor
from .plan import Builder, WebGLPlan

PASSES = PIPELINE


def input_infos(graph: Graph, shapes: Mapping[str, tuple[int, ...]] | None = None) -> dict[str, Info]:
    """Each input's Info: the given shape, else the model's with unknown sizes taken as 1."""
    infos = {}
    for name in graph.inputs:
        raw = graph.nodes[name].raw
        dtype = str(raw.get("dtype", "float32"))
        shape = shapes[name] if shapes and name in shapes else tuple(1 if d is None or d < 0 else int(d) for d in raw.get("shape") or ())
        infos[name] = Info(tuple(shape), dtype)
    return infos


def make_plan(graph: Graph, shapes: Mapping[str, tuple[int, ...]] | None = None) -> WebGLPlan:
    return Builder(graph, infer_shapes(graph, input_infos(graph, shapes))).build()


class WebGLRunner:
    """Built for the inputs' shapes; a run with other shapes builds (and compiles) a new plan."""

    def __init__(self, graph: Graph, gl, host):
        if gl is None:
            raise PyappError("the webgl backend needs a WebGL2 context: pass gl=... (pyapp.browser.gl.create_context())")
        self.graph, self.gl, self.host = optimize(graph, PASSES), gl, host
        self.shapes = {name: info.shape for name, info in input_infos(self.graph).items()}
        self.executor = WebGLExecutor(self.graph, make_plan(self.graph, self.shapes), gl, host)

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        shapes = {name: tuple(v.shape) for name, v in feeds.items()}
        if shapes != self.shapes:
            self.executor.dispose()
            self.shapes = shapes
            self.executor = WebGLExecutor(self.graph, make_plan(self.graph, shapes), self.gl, self.host)
        return self.executor.run(feeds)

    def stats(self) -> dict:
        return self.executor.stats()

    def dispose(self) -> None:
        self.executor.dispose()


def compile(graph: Graph, gl=None, host=None) -> WebGLRunner:
    return WebGLRunner(graph, gl, host)


__all__ = ["ContextLost", "PASSES", "ShaderError", "WebGLRunner", "compile", "make_plan"]
