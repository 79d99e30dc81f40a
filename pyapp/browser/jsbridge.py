"""Python values as the JS values browser APIs take, the few ways the worker needs them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import js
from pyodide.ffi import to_js

if TYPE_CHECKING:  # the worker's RPC imports this at boot: no numpy import for an annotation
    import numpy as np


def js_object(value: dict, create_pyproxies: bool = True):
    """A plain JS object, nested dicts too (to_js alone makes Maps, which WebGL, fetch, IndexedDB and
    postMessage do not read as options or records). create_pyproxies=False: a value with no JS form
    raises ConversionError instead of becoming a PyProxy."""
    return to_js(value, dict_converter=js.Object.fromEntries, create_pyproxies=create_pyproxies)


def js_array(items):
    return to_js(list(items))


def heap_view(array: np.ndarray, typed_array=js.Float32Array):
    """A typed array over a C-contiguous numpy array's own bytes, no copy (readPixels writes into
    numpy through it). Make it right before each use: a view goes stale when wasm memory grows."""
    import pyodide_js

    return typed_array.new(pyodide_js._module.HEAPU8.buffer, array.ctypes.data, array.size)
