"""The effects on a WebGL2 context, through the same GL wrapper as the webgl backend: frame and mask
in textures, the blur in separable passes at reduced resolution, the composite drawn straight to the
context's canvas. `gl` is the context; `host.f32(array)` gives a JS Float32Array copy
(pyapp.browser.gl.Host). Nothing is read back."""

from __future__ import annotations

import numpy as np

from ..backends.webgl.gl import GL
from . import shaders
from .blur import reduced_size, taps
from .options import EFFECTS, Options, rgb
from .segment import OUTPUTS

PROGRAMS = {
    "ema": (shaders.EMA, ("size", "mask", "previous", "weight", "kind")),
    "copy": (shaders.COPY, ("size", "image")),
    "blur": (shaders.BLUR, ("size", "image", "direction", "weights", "taps", "step")),
    "composite": (shaders.COMPOSITE, ("size", "frame", "mask", "back", "effect", "threshold",
                                      "half_width", "opacity", "colour", "flip")),
}
# name -> (internal format, format, type); every one is filterable (LINEAR) in WebGL2
FORMATS = {"frame": "RGBA8", "background": "RGBA8", "mask": "R16F", "ema0": "R16F", "ema1": "R16F",
           "small": "RGBA8", "blur0": "RGBA8", "blur1": "RGBA8"}


class Compositor:
    def __init__(self, gl, host):
        self.gl, self.host = gl, host
        self.gpu = GL(gl, host)
        self.gpu.compile({source: f"effects {name}" for name, (source, _) in PROGRAMS.items()})  # one batch
        self.programs: dict[str, tuple] = {}
        for name, (source, uniforms) in PROGRAMS.items():
            self.add_program(name, source, uniforms)
        self.textures = {name: self.gpu.texture(gl.TEXTURE_2D, linear=True) for name in FORMATS}
        self.sizes: dict[str, tuple[int, int]] = {}
        self.framebuffer = self.gpu.framebuffer()  # attached to each target in turn
        self.history = 0  # which ema texture holds the last smoothed mask
        self.history_size: tuple[int, int] | None = None  # of that mask; None: no mask yet
        self.allocate("background", 1, 1)
        self.fill("background", 0.5)  # grey until an image is set

    def add_program(self, name: str, source: str, uniforms: tuple[str, ...]) -> None:
        """A full-target fragment shader (shaders.HEADER's `size` and `o`) that draw() runs by name."""
        self.gpu.compile({source: f"effects {name}"})
        self.programs[name] = self.gpu.program(source, uniforms)

    def allocate(self, name: str, h: int, w: int) -> None:
        """(Re)size a render target; the texture object stays the same one."""
        if self.sizes.get(name) != (h, w):
            gl = self.gl
            gl.bindTexture(gl.TEXTURE_2D, self.textures[name])
            internal = getattr(gl, FORMATS[name])
            fmt, kind = (gl.RED, gl.HALF_FLOAT) if FORMATS[name] == "R16F" else (gl.RGBA, gl.UNSIGNED_BYTE)
            gl.texImage2D(gl.TEXTURE_2D, 0, internal, w, h, 0, fmt, kind, None)
            self.sizes[name] = (h, w)

    def upload_image(self, name: str, image, h: int, w: int) -> None:
        """An ImageBitmap (or any TexImageSource) into a texture, rows top-first."""
        gl = self.gl
        gl.bindTexture(gl.TEXTURE_2D, self.textures[name])
        gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, False)
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, image)
        self.sizes[name] = (h, w)

    def fill(self, name: str, grey: float) -> None:
        gl = self.gl
        self.gpu.attach(self.framebuffer, self.textures[name])
        gl.clearColor(grey, grey, grey, 1.0)
        gl.clear(gl.COLOR_BUFFER_BIT)

    def upload_mask(self, prob: np.ndarray) -> None:
        gl = self.gl
        h, w = prob.shape
        gl.bindTexture(gl.TEXTURE_2D, self.textures["mask"])
        gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1)
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.R16F, w, h, 0, gl.RED, gl.FLOAT, self.host.f32(prob))
        self.sizes["mask"] = (h, w)

    def draw(self, name: str, target: str | None, textures: dict, **uniforms) -> None:
        """One full-target pass of program `name` into texture `target` (None: the canvas); textures:
        sampler -> one of ours by name, or a WebGLTexture."""
        gl = self.gl
        prog, loc = self.programs[name]
        if target is None:
            fb, (w, h) = None, (gl.drawingBufferWidth, gl.drawingBufferHeight)
        else:
            fb, (h, w) = self.framebuffer, self.sizes[target]
            self.gpu.attach(fb, self.textures[target])
        calls = [(gl.uniform2f, (loc["size"], w, h))]
        calls += [(gl.uniform1i, (loc[sampler], unit)) for unit, sampler in enumerate(textures)]
        calls += [uniform_call(gl, loc[uniform], value) for uniform, value in uniforms.items()]
        bound = [self.textures[t] if isinstance(t, str) else t for t in textures.values()]
        self.gpu.draw_call(prog, fb, (w, h), gl.TEXTURE_2D, bound, calls)()

    def smooth(self, source, h: int, w: int, output: str, weight: float) -> str:
        """P(person) from the model output in `source` (h x w texels, read as OUTPUTS[output] says),
        smoothed over time in a ping-pong pair; returns the texture holding it."""
        current = 1 - self.history
        for name in ("ema0", "ema1"):
            self.allocate(name, h, w)
        restart = self.history_size != (h, w) or weight <= 0
        self.draw("ema", f"ema{current}", {"mask": source, "previous": f"ema{self.history}"},
                  weight=0.0 if restart else float(weight), kind=("1i", list(OUTPUTS).index(output)))
        self.history, self.history_size = current, (h, w)
        return f"ema{current}"

    def blur(self, strength: float) -> str:
        h, w = self.sizes["frame"]
        rh, rw = reduced_size(h, w)
        for name in ("small", "blur0", "blur1"):
            self.allocate(name, rh, rw)
        weights, step = taps(strength, h, w)
        padded = np.zeros(shaders.MAX_TAPS // 2 + 1, np.float32)
        padded[: len(weights)] = weights
        self.draw("copy", "small", {"image": "frame"})
        common = {"weights": ("1fv", self.host.f32(padded)), "taps": ("1i", len(weights)), "step": float(step)}
        self.draw("blur", "blur0", {"image": "small"}, direction=(1.0 / rw, 0.0), **common)
        self.draw("blur", "blur1", {"image": "blur0"}, direction=(0.0, 1.0 / rh), **common)
        return "blur1"

    def render(self, frame, h: int, w: int, mask, options: Options, output: str = "probability") -> None:
        """Composite one frame (an ImageBitmap, h x w) onto the canvas, whose size the caller has set
        to w x h. mask: P(person) as a numpy array at model resolution, or a model output left on the
        GPU as (WebGLTexture, width, height), whose channels `output` (a segment.OUTPUTS key) names."""
        self.upload_image("frame", frame, h, w)
        if isinstance(mask, np.ndarray):
            self.upload_mask(mask)
            mask = (self.textures["mask"], mask.shape[1], mask.shape[0])
            output = "probability"
        texture, mw, mh = mask
        mask = self.smooth(texture, mh, mw, output, options.smoothing)
        back = self.blur(options.blur) if options.effect == "blur" else "background"
        self.draw("composite", None, {"frame": "frame", "mask": mask, "back": back},
                  effect=("1i", EFFECTS.index(options.effect)), threshold=float(options.threshold),
                  half_width=max(float(options.softness), 1e-3) / 2, opacity=float(options.opacity),
                  colour=rgb(options.colour), flip=("1i", int(bool(options.flip))))

    def stats(self) -> dict:
        return {"programs": len(self.programs), "textures": len(self.textures), "framebuffers": 1}

    def dispose(self) -> None:
        self.gpu.dispose()
        self.programs, self.textures = {}, {}


def uniform_call(gl, location, value) -> tuple:
    """float -> uniform1f, tuple -> uniform{2,3}f, ("1i" | "1fv", v) -> that call; as (method, args)."""
    if isinstance(value, tuple) and isinstance(value[0], str):
        kind, v = value
        return getattr(gl, f"uniform{kind}"), (location, v)
    if isinstance(value, tuple):
        return getattr(gl, f"uniform{len(value)}f"), (location, *value)
    return gl.uniform1f, (location, value)
