"""Runs a WebGLPlan on a WebGL2 context (through gl.GL): programs compiled and weights uploaded once at load, then
per inference a walk over prepared steps with bound methods and uniform locations looked up in
advance. No getError / getParameter / status query happens per run, only isContextLost() after each
read and at the end (a lost context raises ContextLost, never returns what a skipped read left);
reads happen only for outputs and for tensors a numpy step needs."""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping

import numpy as np

from ...errors import PyappError
from ...graph import Graph, Ref
from ...ops import OPS
from . import glsl
from .gl import GL, ContextLost
from .layout import pack, shape4, texture_size, unpack
from .ops.elementwise import expression
from .ops.resize import BILINEAR
from .plan import Compute, Draw, Read, Upload, WebGLPlan


IMAGE = -1  # the texture id of image inputs


LOST_IN_RUN = "the WebGL context was lost during the run (its results are discarded): predict works again once the browser restores it"


def renderable(gl) -> list[str]:
    """Float formats the context renders to, best first; asking for the extensions enables them."""
    extensions = {"float32": "EXT_color_buffer_float", "float16": "EXT_color_buffer_half_float"}
    found = {storage: gl.getExtension(name) is not None for storage, name in extensions.items()}
    return [s for s in ("float32", "float16") if found[s] or (s == "float16" and found["float32"])]


class WebGLExecutor:
    """host: f32(array) -> a JS Float32Array copy (uploads); f32_view(array) -> a Float32Array over
    the array's memory (readPixels writes into numpy directly); list(items) -> a JS array."""

    def __init__(self, graph: Graph, plan: WebGLPlan, gl, host, storage: str = "float32"):
        """storage: the format of tensors the passes write, "float32" or "float16" (filters stay float32)."""
        self.graph, self.plan, self.gl, self.host = graph, plan, gl, host
        if storage not in renderable(gl):
            raise PyappError(f"this WebGL2 cannot render to {storage} textures (renders to: {', '.join(renderable(gl)) or 'none'})")
        self.format = {"float32": gl.RGBA32F, "float16": gl.RGBA16F}[storage]
        self.storage = storage
        self.textures: dict[int, Any] = {}
        self.framebuffers: dict[int, Any] = {}
        self.flat: dict[Ref, tuple[Any, Any, int, int]] = {}  # tensors read back: plain 2D texture, framebuffer, size
        self.copies: dict[Ref, Callable] = {}  # tensor read back -> the draw copying it into its plain texture
        self.image_steps: dict[tuple, Callable] = {}
        self.gpu = GL(gl, host)
        try:
            t0 = time.perf_counter()
            for t, size in plan.sizes.items():
                data = plan.constants.get(t)
                self.textures[t] = self.gpu.texture(gl.TEXTURE_2D_ARRAY, size, gl.RGBA32F if data is not None else self.format)
                if data is not None:
                    gl.texSubImage3D(gl.TEXTURE_2D_ARRAY, 0, 0, 0, 0, *size, gl.RGBA, gl.FLOAT, host.f32(data))
            self.upload_ms = (time.perf_counter() - t0) * 1000
            self.warmup_ms = 0.0
            self.textures[IMAGE] = self.gpu.texture(gl.TEXTURE_2D_ARRAY)  # image inputs (texImage3D sizes it)
            self.compile({d.source: d.name for d in plan.draws} | {glsl.FLATTEN: "flatten"})
            self.runs = [self.prepare(step) for step in plan.steps]
        except BaseException:
            self.dispose()  # a load that fails frees what it made so far
            raise

    def compile(self, sources: dict[str, str]) -> None:
        """Fragment source -> pass name; operand k samples texture unit k."""
        self.gpu.compile({source: f"kernel {name}" for source, name in sources.items()},
                         lambda source: [f"t{k}" for k in range(source.count("uniform sampler2D"))])

    def framebuffer(self, t: int):
        """Texture t's layers as color attachments 0.., all drawn to."""
        if t not in self.framebuffers:
            self.framebuffers[t] = self.gpu.framebuffer(self.textures[t], layers=self.plan.sizes[t][2])
        return self.framebuffers[t]

    def draw_call(self, source: str, name: str, fb, size: tuple[int, int], textures: list[int],
                  ints: tuple[tuple[str, tuple], ...], floats: tuple[tuple[str, float], ...]) -> Callable[[dict], None]:
        """A pass drawing program `source` over array textures (units 0..) with ivec4 and float uniforms."""
        self.compile({source: name})
        prog, loc = self.gpu.program(source, [n for n, _ in ints] + [n for n, _ in floats])
        set4i, set1f = self.gl.uniform4i, self.gl.uniform1f
        uniforms = [(set4i, (loc[n], *v)) for n, v in ints if loc[n] is not None]
        uniforms += [(set1f, (loc[n], v)) for n, v in floats if loc[n] is not None]
        return self.gpu.draw_call(prog, fb, size, self.gl.TEXTURE_2D_ARRAY, [self.textures[t] for t in textures], uniforms)

    def prepare(self, step) -> Callable[[dict], None]:
        """One step as a closure over everything it needs: the per-run path only calls GL."""
        gl = self.gl
        if isinstance(step, Draw):
            return self.draw_call(step.source, step.name, self.framebuffer(step.output), step.size, list(step.inputs), step.ints, step.floats)
        if isinstance(step, Upload):
            tex, (w, h, layers) = self.textures[step.texture], self.plan.sizes[step.texture]
            f32, ref = self.host.f32, step.ref
            bind, sub = gl.bindTexture, gl.texSubImage3D
            TEXTURE_2D_ARRAY, RGBA, FLOAT = gl.TEXTURE_2D_ARRAY, gl.RGBA, gl.FLOAT

            def run(env: dict) -> None:
                bind(TEXTURE_2D_ARRAY, tex)
                sub(TEXTURE_2D_ARRAY, 0, 0, 0, 0, w, h, layers, RGBA, FLOAT, f32(pack(env[ref])))

            return run
        if isinstance(step, Read):
            copy = self.copies[step.ref] = self.flat_copy(step)
            w, h = self.flat[step.ref][2:]  # its framebuffer is bound by the copy
            view, ref, shape = self.host.f32_view, step.ref, step.shape
            read, RGBA, FLOAT = gl.readPixels, gl.RGBA, gl.FLOAT

            def run(env: dict) -> None:
                copy(env)
                data = np.full((h, w * 4), np.nan, np.float32)  # what a readPixels that did nothing leaves
                read(0, 0, w, h, RGBA, FLOAT, view(data))
                self.check_context()  # before a numpy step computes on it
                env[ref] = unpack(data, shape)

            return run
        assert isinstance(step, Compute)
        node = step.node
        kernel, attrs, inputs = OPS[node.op].kernel, node.attrs, node.inputs

        def run(env: dict) -> None:
            out = kernel(attrs, *[env[r] for r in inputs])
            for i, v in enumerate(out if isinstance(out, tuple) else (out,)):
                env[(node.name, i)] = v

        return run

    def flat_copy(self, step: Read) -> Callable[[dict], None]:
        """A draw copying the tensor a read step reads into a plain 2D texture (texel (w * C4 + c,
        n * H + h)): one readPixels reads that back, and output_textures() hands it out."""
        gl = self.gl
        shape = shape4(step.shape)
        w, h = texture_size(step.shape)[0], shape[0] * shape[1]
        tex = self.gpu.texture(gl.TEXTURE_2D, (w, h), self.format)
        fb = self.gpu.framebuffer(tex)
        self.flat[step.ref] = (tex, fb, w, h)
        return self.draw_call(glsl.FLATTEN, "flatten", fb, (w, h), [step.texture], (("s0", shape),), ())

    def output_textures(self) -> dict[str, tuple[Any, int, int]]:
        """Output name -> (WebGLTexture, width, height) for outputs computed on the GPU: plain 2D
        textures, texel (w * C4 + c, n * H + h), valid until the next run. Render from them after
        run(..., readback=False) instead of reading back."""
        return {name: (tex, w, h) for name, ref in self.graph.outputs.items() if ref in self.flat
                for tex, _, w, h in [self.flat[ref]]}

    def steps(self, readback: bool, replace: Mapping[int, Callable] = {}) -> list[Callable]:
        """A run's prepared steps: all, or with the trailing reads of the outputs cut to their
        copies into output_textures(); `replace`: other steps by index."""
        runs = [replace.get(i, run) for i, run in enumerate(self.runs)]
        if readback:
            return runs
        i = len(self.plan.steps)
        while i and isinstance(self.plan.steps[i - 1], Read):
            i -= 1
        return runs[:i] + [self.copies[step.ref] for step in self.plan.steps[i:]]

    def image_input(self, name: str, width: int, height: int, scale: float, offset: float) -> tuple[int, Callable]:
        """(index of the input's upload step, a step drawing the image texture into the input, resized
        with TF's half-pixel bilinear rule and mapped to pixel * scale + offset)."""
        index = next((i for i, s in enumerate(self.plan.steps) if isinstance(s, Upload) and s.ref == (name, 0)), None)
        if index is None:
            raise PyappError(f"input {name!r} is not read on the GPU: feed it as an array")
        key = (name, width, height, scale, offset)
        if key not in self.image_steps:
            upload = self.plan.steps[index]
            target, (n, h, w, c) = upload.texture, shape4(upload.shape)
            source = glsl.fragment(BILINEAR, 1, 2, [], [expression("Mul", ["v", "vec4(f0)"]), expression("Add", ["r0", "vec4(f1)"])], image=True)
            draw = Draw(f"image {name}", source, target, self.plan.sizes[target][:2], (IMAGE,),
                        (("s0", (1, height, width, 4)), ("q0", (0, 1, 0, 0)), ("q1", (0, 0, 0, 0)), ("os", (n, h, w, c))),
                        (("f0", 255.0 * scale), ("f1", offset)))
            self.image_steps[key] = self.prepare(draw)
        return index, self.image_steps[key]

    def run_image(self, name: str, bitmap, scale: float = 1 / 255, offset: float = 0.0, readback: bool = True) -> dict[str, np.ndarray]:
        """Run with input `name` taken from an ImageBitmap / VideoFrame / canvas: uploaded as an RGBA8
        texture and resized and normalised on the GPU, with no CPU copy of the pixels."""
        index, draw = self.image_input(name, int(bitmap.width), int(bitmap.height), scale, offset)
        gl = self.gl
        gl.bindTexture(gl.TEXTURE_2D_ARRAY, self.textures[IMAGE])
        gl.texImage3D(gl.TEXTURE_2D_ARRAY, 0, gl.RGBA8, int(bitmap.width), int(bitmap.height), 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, bitmap)
        env = self.env({})
        for step in self.steps(readback, replace={index: draw}):
            step(env)
        self.check_context()
        return {name: np.asarray(env[ref]) for name, ref in self.graph.outputs.items() if ref in env}

    def env(self, feeds: Mapping[str, np.ndarray]) -> dict[Ref, Any]:
        env: dict[Ref, Any] = dict(self.graph.consts)
        env.update(((name, 0), v) for name, v in feeds.items())
        return env

    def run(self, feeds: Mapping[str, np.ndarray], readback: bool = True) -> dict[str, np.ndarray]:
        """Output name -> array; readback=False leaves GPU outputs in output_textures() instead."""
        env = self.env(feeds)
        for step in self.steps(readback):
            step(env)
        self.check_context()
        return {name: np.asarray(env[ref]) for name, ref in self.graph.outputs.items() if ref in env}

    def check_context(self) -> None:
        """A lost context turns every GL call into a no-op: draws draw nothing, readPixels leaves the
        array as it was. Asked after each readback and once at the end of a run, never per pass."""
        if self.gl.isContextLost():
            raise ContextLost(LOST_IN_RUN)

    def dispatch_profile(self, feeds: Mapping[str, np.ndarray]) -> dict[str, float]:
        """One run, its wall time split by step kind. GL calls only queue work, so draw + upload time
        is Python's dispatch cost; a read waits for the GPU to finish everything before it."""
        env, ms = self.env(feeds), {"draw": 0.0, "upload": 0.0, "read": 0.0, "numpy": 0.0}
        kinds = {Draw: "draw", Upload: "upload", Read: "read", Compute: "numpy"}
        for step, run in zip(self.plan.steps, self.runs):
            t0 = time.perf_counter()
            run(env)
            ms[kinds[type(step)]] += (time.perf_counter() - t0) * 1000
        total = sum(ms.values())
        return {**{f"{k}_ms": v for k, v in ms.items()}, "total_ms": total, "python_share": (ms["draw"] + ms["upload"]) / total}

    def gpu_profile(self, feeds: Mapping[str, np.ndarray]) -> list[tuple[str, float]]:
        """One run with the GPU drained after every draw (a one-texel read): (pass, ms) per draw, less
        a second read right after on the idle GPU. That read's own cost is taken off pass by pass,
        under the same load: a fixed cost measured once left the sum of ~100 passes 0.5-3x the run
        when the machine was busy (the GPU process's wake-ups vary with load)."""
        env, gl, out = self.env(feeds), self.gl, []
        pixel = np.empty(4, np.float32)
        for step, run in zip(self.plan.steps, self.runs):
            t0 = time.perf_counter()
            run(env)
            if isinstance(step, Draw):
                gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, self.host.f32_view(pixel))
                t1 = time.perf_counter()
                gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, self.host.f32_view(pixel))
                out.append((step.name, (2 * t1 - t0 - time.perf_counter()) * 1000))
        return out

    def stats(self) -> dict:
        """draws: the plan's passes; copies: the draws per run copying tensors to read back."""
        return {"storage": self.storage, "programs": len(self.gpu.programs), "textures": len(self.textures),
                "draws": len(self.plan.draws), "copies": len(self.copies), "gpu_nodes": self.plan.gpu_nodes, "cpu_nodes": self.plan.cpu_nodes,
                "compile_ms": self.gpu.compile_ms, "parallel_compile": self.gpu.parallel,
                "upload_ms": self.upload_ms, "warmup_ms": self.warmup_ms}

    def dispose(self) -> None:
        self.gpu.dispose()
        self.flat.clear()
        self.framebuffers.clear()
        self.textures.clear()
        self.runs = []
