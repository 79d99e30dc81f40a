"""WebGL2 backend: the graph becomes a plan of fused passes over RGBA float32 textures, run by
Python through a WebGL2 context it is given (this package never imports js: the browser side
passes `gl`, and `host` for typed arrays over numpy memory).

    layout.py      NHWC tensors as RGBA texels, (W * C/4) x (N * H/4) x 4 layers (row h in layer
                   h % 4: a pass draws 4 rows per fragment); filters as 4x4 blocks
    ops/           one module per op family: its GLSL kernel and its lowering (node -> Producer:
                   kernel, tensors read, packed filters, parameters, fused epilogue), in one table;
                   elementwise ops as GLSL expressions
    kernel.py      what lowering makes: Kernel, Producer
    scheduling.py  placement (GPU / alias / numpy) and fusion into passes: producer + epilogue
    glsl.py        shader assembly: one fragment shader per (kernel, epilogue); sizes are uniforms
    plan.py        steps (draw, upload, read, numpy) and liveness-based texture reuse
    gl.py          the GL wrapper (programs with numbered error logs, textures, framebuffers,
                   draws) this executor and the effects compositor share
    executor.py    programs compiled and weights uploaded at load; per run, prepared closures only
    dump.py        `python -m pyapp.backends.webgl.dump MODEL`: the plan and its shaders, no browser

Load = plan + compile (all programs linked as one batch) + weight upload + one warm-up run on zeros
(SwiftShader compiles a program at its first draw). Per run: one upload per input, the draws, one
copy and readPixels per output (plus per tensor a numpy step reads: movenet's keypoint decoding,
blazeface's output reshapes), and isContextLost() after the reads: a lost context is ContextLost,
at load as in a run.
"""

from __future__ import annotations

import time
from typing import Mapping

import numpy as np

from ...errors import PyappError
from ...graph import PIPELINE, Graph, infer_shapes, optimize
from ...ops import Info
from .executor import WebGLExecutor, renderable
from .gl import LOST_AT_LOAD, ContextLost, ShaderError
from .layout import MAX_TEXTURE
from .plan import Builder, WebGLPlan, reuse_textures

PASSES = PIPELINE


def input_infos(graph: Graph, shapes: Mapping[str, tuple[int, ...]] | None = None) -> dict[str, Info]:
    """Each input's Info: the given shape, else the model's with unknown sizes taken as 1."""
    infos = {}
    for name in graph.inputs:
        declared = graph.nodes[name].attrs
        shape = shapes[name] if shapes and name in shapes else tuple(1 if d is None or d < 0 else int(d) for d in declared.shape or ())
        infos[name] = Info(tuple(shape), declared.dtype)
    return infos


def make_plan(graph: Graph, shapes: Mapping[str, tuple[int, ...]] | None = None) -> WebGLPlan:
    return reuse_textures(Builder(graph, infer_shapes(graph, input_infos(graph, shapes))).build())


class WebGLRunner:
    """Built for the inputs' shapes; a run with other shapes builds (and compiles) a new plan."""

    def __init__(self, graph: Graph, gl, host, storage: str | None = None):
        self.graph, self.gl, self.host = optimize(graph, PASSES), gl, host
        if gl.isContextLost() or (size := gl.getParameter(gl.MAX_TEXTURE_SIZE)) is None:  # null: lost meanwhile
            raise ContextLost(LOST_AT_LOAD)
        if size < MAX_TEXTURE:
            raise PyappError(f"this WebGL2 has textures of at most {size} texels a side; the webgl backend needs {MAX_TEXTURE}")
        self.storage = storage or (renderable(gl) + ["float32"])[0]  # none: the executor says so
        self.shapes = {name: info.shape for name, info in input_infos(self.graph).items()}
        self.built: tuple | None = (host.restores(gl), self.shapes)  # (restores, shapes) the executor is for
        self.executor = self.build(self.shapes)

    def build(self, shapes: dict) -> WebGLExecutor:
        """Plan, compile, upload, then one run on zeros: the driver finishes compiling a program at
        its first draw (SwiftShader: its JIT), and that belongs to loading, not to the first result."""
        executor = WebGLExecutor(self.graph, make_plan(self.graph, shapes), self.gl, self.host, self.storage)
        infos = input_infos(self.graph, shapes)
        t0 = time.perf_counter()
        try:
            executor.run({name: np.zeros(info.shape, info.dtype) for name, info in infos.items()})
        except BaseException:
            executor.dispose()
            raise
        executor.warmup_ms = (time.perf_counter() - t0) * 1000
        return executor

    def run(self, feeds: Mapping[str, np.ndarray], readback: bool = True) -> dict[str, np.ndarray]:
        """Output name -> array (readback=False: GPU outputs stay in output_textures())."""
        self.ready({name: tuple(v.shape) for name, v in feeds.items()})
        return self.executor.run(feeds, readback)

    def run_image(self, name: str, bitmap, scale: float = 1 / 255, offset: float = 0.0, readback: bool = True) -> dict[str, np.ndarray]:
        """Input `name` from an ImageBitmap / VideoFrame, resized and normalised (pixel * scale +
        offset) on the GPU."""
        self.ready(self.shapes)
        return self.executor.run_image(name, bitmap, scale, offset, readback)

    def output_textures(self) -> dict:
        return self.executor.output_textures()

    def ready(self, shapes: dict) -> None:
        """Rebuild after a restored context or for new input shapes."""
        if self.gl.isContextLost():
            raise ContextLost("the WebGL context is lost: predict works again once the browser restores it")
        want = (self.host.restores(self.gl), shapes)
        if want != self.built:
            if self.built is not None and want[0] == self.built[0]:  # else a restore took them with the old context
                self.executor.dispose()
            self.built, self.shapes = None, shapes  # None: a build that fails is tried again at the next run
            self.executor = self.build(shapes)
            self.built = want

    def stats(self) -> dict:
        return self.executor.stats()

    def dispose(self) -> None:
        self.executor.dispose()


def compile(graph: Graph, gl=None, host=None, storage: str | None = None) -> WebGLRunner:
    """gl: the WebGL2 context to run on; host: typed arrays over numpy memory and the context's
    restore count. The browser side hands both in (pyapp.browser.gl: shared_context(), Host); this
    package never imports it. storage: "float32" or "float16" for the tensors passes write; default
    the best the context renders to."""
    if gl is None or host is None:
        raise PyappError("the webgl backend runs in the browser's worker: pass gl=... and host=... there "
                         "(pyapp.browser.gl.shared_context(), Host), or use backend='cpu'")
    return WebGLRunner(graph, gl, host, storage)


__all__ = ["ContextLost", "PASSES", "ShaderError", "WebGLRunner", "compile", "make_plan"]
