"""The one wrapper over a WebGL2 context for everything pyapp draws (the backend's executor, the
effects compositor): programs linked in batches, whose errors name the program and quote its
numbered source; textures; framebuffers; full-target draws as prepared closures. Everything made
through it is deleted by dispose(). The context comes from the caller (pyapp.browser.gl makes
them); host.list(items) gives a JS array. This module never imports js."""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

from ...errors import PyappError


class ShaderError(PyappError):
    """A shader did not compile or a program did not link; the message names it and has the info log."""


class ContextLost(PyappError):
    """The WebGL context is lost; runs work again (rebuilt) once the browser restores it."""


LOST_AT_LOAD = "the WebGL context is lost: load the model again once the browser restores it"

# Every pass draws one triangle covering the target (gl_VertexID 0..2, no buffers).
VERTEX = """#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""

KINDS = ("Framebuffer", "Texture", "Program", "Shader")  # what dispose() deletes, in this order
Uniform = tuple[Callable[..., None], tuple]  # a bound uniform* method and its arguments (location first)


class GL:
    def __init__(self, gl, host):
        self.gl, self.host = gl, host
        self.made: dict[str, list[Any]] = {kind: [] for kind in KINDS}
        self.programs: dict[str, tuple[Any, dict[str, Any]]] = {}  # fragment source -> (program, uniform locations)
        self.compile_ms = 0.0
        self.parallel = gl.getExtension("KHR_parallel_shader_compile") is not None  # asking enables it
        self.vertex = self.shader(gl.VERTEX_SHADER, VERTEX)
        self.check_shader(self.vertex, VERTEX, "vertex shader")

    def make(self, kind: str, *args):
        obj = getattr(self.gl, f"create{kind}")(*args)
        self.made[kind].append(obj)
        return obj

    def shader(self, kind: int, source: str):
        sh = self.make("Shader", kind)
        self.gl.shaderSource(sh, source)
        self.gl.compileShader(sh)
        return sh

    def check_shader(self, sh, source: str, name: str) -> None:
        gl = self.gl
        if not gl.getShaderParameter(sh, gl.COMPILE_STATUS):
            if gl.isContextLost():  # every status query answers null then
                raise ContextLost(LOST_AT_LOAD)
            numbered = "\n".join(f"{i + 1:4d}  {line}" for i, line in enumerate(source.splitlines()))
            raise ShaderError(f"{name}: shader does not compile: {gl.getShaderInfoLog(sh)}\n{numbered}")

    def compile(self, sources: Mapping[str, str], samplers: Callable[[str], Sequence[str]] = lambda source: ()) -> None:
        """Fragment source -> its name (for errors): links the new ones as one batch before asking for
        any status, so the driver (Chromium's GPU process) works through the batch without a round
        trip per program, in parallel where KHR_parallel_shader_compile is there. samplers(source):
        its sampler uniforms, bound to texture units 0.. once here."""
        gl = self.gl
        t0 = time.perf_counter()
        linking = []
        for source, name in sources.items():
            if source in self.programs:
                continue
            prog, fragment = self.make("Program"), self.shader(gl.FRAGMENT_SHADER, source)
            gl.attachShader(prog, self.vertex)
            gl.attachShader(prog, fragment)
            gl.linkProgram(prog)
            self.programs[source] = (prog, {})
            linking.append((prog, fragment, source, name))
        for prog, fragment, source, name in linking:
            if not gl.getProgramParameter(prog, gl.LINK_STATUS):
                if gl.isContextLost():
                    raise ContextLost(LOST_AT_LOAD)
                self.check_shader(fragment, source, name)
                raise ShaderError(f"{name}: program does not link: {gl.getProgramInfoLog(prog)}")
            gl.useProgram(prog)
            for unit, sampler in enumerate(samplers(source)):
                gl.uniform1i(gl.getUniformLocation(prog, sampler), unit)
        self.compile_ms += (time.perf_counter() - t0) * 1000

    def program(self, source: str, uniforms: Sequence[str]) -> tuple[Any, dict[str, Any]]:
        """(program, uniform name -> location) of a compiled source."""
        prog, locations = self.programs[source]
        for u in uniforms:
            if u not in locations:
                locations[u] = self.gl.getUniformLocation(prog, u)
        return prog, locations

    def texture(self, target: int, size: Sequence[int] = (), internal_format: int | None = None, linear: bool = False):
        """A TEXTURE_2D (size: width, height) or TEXTURE_2D_ARRAY (width, height, layers) with
        immutable storage of internal_format, or none (sized by each texImage). Sampled NEAREST, or
        LINEAR and clamped to the edge."""
        gl = self.gl
        tex = self.make("Texture")
        gl.bindTexture(target, tex)
        if internal_format is not None:
            storage = gl.texStorage3D if target == gl.TEXTURE_2D_ARRAY else gl.texStorage2D
            storage(target, 1, internal_format, *size)
        parameters = [(gl.TEXTURE_MIN_FILTER, gl.LINEAR if linear else gl.NEAREST), (gl.TEXTURE_MAG_FILTER, gl.LINEAR if linear else gl.NEAREST)]
        if linear:
            parameters += [(gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE), (gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE)]
        for parameter, value in parameters:
            gl.texParameteri(target, parameter, value)
        return tex

    def framebuffer(self, texture=None, layers: int = 0):
        """A framebuffer drawing to a 2D texture, to layers 0..layers-1 of an array texture (one colour
        attachment each, all drawn to), or, texture None, to what attach() gives it later."""
        gl = self.gl
        fb = self.make("Framebuffer")
        if layers:
            gl.bindFramebuffer(gl.FRAMEBUFFER, fb)
            attachments = [gl.COLOR_ATTACHMENT0 + m for m in range(layers)]
            for m, attachment in enumerate(attachments):
                gl.framebufferTextureLayer(gl.FRAMEBUFFER, attachment, texture, 0, m)
            gl.drawBuffers(self.host.list(attachments))
        elif texture is not None:
            self.attach(fb, texture)
        return fb

    def attach(self, fb, texture) -> None:
        """Bind fb with the 2D texture as its colour attachment."""
        gl = self.gl
        gl.bindFramebuffer(gl.FRAMEBUFFER, fb)
        gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0)

    def draw_call(self, prog, fb, size: tuple[int, int], target: int, textures: Sequence[Any],
                  uniforms: Sequence[Uniform]) -> Callable[..., None]:
        """One full-target pass as a closure over bound methods: program, framebuffer (None: the
        canvas), viewport, textures of `target` kind bound to units 0.., uniforms, the triangle."""
        gl = self.gl
        use, bind_fb, viewport, active, bind, draw = (gl.useProgram, gl.bindFramebuffer, gl.viewport,
                                                      gl.activeTexture, gl.bindTexture, gl.drawArrays)
        FRAMEBUFFER, TRIANGLES = gl.FRAMEBUFFER, gl.TRIANGLES
        units = [(gl.TEXTURE0 + k, tex) for k, tex in enumerate(textures)]
        w, h = size

        def run(*_) -> None:
            use(prog)
            bind_fb(FRAMEBUFFER, fb)
            viewport(0, 0, w, h)
            for unit, tex in units:
                active(unit)
                bind(target, tex)
            for set_uniform, args in uniforms:
                set_uniform(*args)
            draw(TRIANGLES, 0, 3)

        return run

    def dispose(self) -> None:
        for kind in KINDS:
            delete = getattr(self.gl, f"delete{kind}")
            for obj in self.made[kind]:
                delete(obj)
            self.made[kind].clear()
        self.programs.clear()
