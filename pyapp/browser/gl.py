"""WebGL2 contexts on an OffscreenCanvas, from Python in the worker."""

from __future__ import annotations

import js
import numpy as np
from pyodide.ffi import create_proxy

from ..backends.webgl import ContextLost
from ..errors import PyappError
from .jsbridge import heap_view, js_array, js_object


class WebGLUnavailable(PyappError):
    """This browser (or worker) cannot give a WebGL2 context."""


def create_context(width: int = 1, height: int = 1, **attributes):
    """A WebGL2 context on a fresh OffscreenCanvas; WebGLUnavailable explains why not."""
    if not hasattr(js, "OffscreenCanvas"):
        raise WebGLUnavailable("OffscreenCanvas is not available in this worker")
    canvas = js.OffscreenCanvas.new(width, height)
    options = {"antialias": False, "depth": False, "stencil": False, "alpha": True,
               "premultipliedAlpha": False, "preserveDrawingBuffer": False, **attributes}
    gl = canvas.getContext("webgl2", js_object(options))
    if gl is None:
        raise WebGLUnavailable("WebGL2 is not available (getContext('webgl2') returned null)")
    watch_context(canvas)
    return gl


SHARED = []


def backend_options(backend: str) -> dict:
    """What a backend's compile() takes from the browser: the webgl backend, which never imports
    this package, is handed the worker's shared context and Host."""
    return {"gl": shared_context(), "host": Host} if backend == "webgl" else {}


def shared_context():
    """One WebGL2 context for the worker's models (created on first use)."""
    if not SHARED:
        SHARED.append(create_context())
    return SHARED[0]


def watch_context(canvas) -> None:
    """Let a lost context be restored (preventDefault), and count restores on the canvas: a backend
    that sees the count change re-creates its programs and textures (Host.restores)."""
    canvas.pyappRestores = 0

    def restored(event):
        canvas.pyappRestores += 1

    canvas.addEventListener("webglcontextlost", create_proxy(lambda event: event.preventDefault()))
    canvas.addEventListener("webglcontextrestored", create_proxy(restored))


def context_info(gl) -> dict:
    """Renderer, limits and extensions, as the page and the backend chooser want them."""
    if gl.isContextLost():  # every getParameter would answer null
        raise ContextLost("the WebGL context is lost: its renderer and limits are known again once the browser restores it")
    renderer, vendor = gl.getParameter(gl.RENDERER), gl.getParameter(gl.VENDOR)
    debug = gl.getExtension("WEBGL_debug_renderer_info")
    if debug is not None:
        renderer = gl.getParameter(debug.UNMASKED_RENDERER_WEBGL)
        vendor = gl.getParameter(debug.UNMASKED_VENDOR_WEBGL)
    return {
        "version": gl.getParameter(gl.VERSION),
        "shading_language": gl.getParameter(gl.SHADING_LANGUAGE_VERSION),
        "vendor": vendor,
        "renderer": renderer,
        "max_texture_size": gl.getParameter(gl.MAX_TEXTURE_SIZE),
        "extensions": sorted(gl.getSupportedExtensions().to_py()),
    }


class Host:
    """What the WebGL backend (which never imports js) needs from the browser: typed arrays over numpy
    memory, and how often a context was restored."""

    @staticmethod
    def restores(gl) -> int:
        return gl.canvas.pyappRestores or 0

    # A Float32Array on a float32 array's own bytes: readPixels writes into numpy.
    f32_view = staticmethod(heap_view)
    # A JS array (WebGL's sequence arguments, like drawBuffers').
    list = staticmethod(js_array)

    @staticmethod
    def f32(a):
        """A copy as a JS Float32Array (uploads from a copy were faster than from the heap view)."""
        return heap_view(np.ascontiguousarray(a, np.float32)).slice()
