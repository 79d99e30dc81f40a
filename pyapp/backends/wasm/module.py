"""Loads kernels.wasm once per process, through the public route: ctypes.CDLL, which is Pyodide's
dlopen of an Emscripten side module (it shares the interpreter's memory, so kernels work on numpy
arrays in place, by address). Anywhere else (CPython), or if the load fails, `kernels()` raises
WasmUnavailable with the reason and the backend runs every step with numpy."""

from __future__ import annotations

import ctypes
import sys
import time
from pathlib import Path

from ...errors import PyappError

PATH = Path(__file__).with_name("kernels.wasm")
I, F = ctypes.c_int32, ctypes.c_float  # wasm32: pointers are 32-bit ints
SIGNATURES = {
    "gemm_f32": (I,) * 10,
    "depthwise_f32": (I,) * 20,
    "conv_f32": (I,) * 22,
    "col2im_f32": (I,) * 16,
    "copy_f32": (I,) * 9,
    "fill_f32": (I, I, F),
    "binary_f32": (I,) * 9,
    "unary_f32": (I,) * 4,
    "hardswish_f32": (I, I, I, F, F),
    "pool_f32": (I,) * 15,
    "resize_bilinear_f32": (I,) * 10,
}


class WasmUnavailable(PyappError):
    """The wasm kernels cannot run here (not Pyodide, or the module failed to load)."""


class Kernels:
    def __init__(self, lib: ctypes.CDLL, load_ms: float):
        self.load_ms = load_ms
        for name, argtypes in SIGNATURES.items():
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = argtypes, None
            setattr(self, name, fn)


_loaded: Kernels | WasmUnavailable | None = None


def kernels() -> Kernels:
    """The loaded module (loaded at the first call); raises WasmUnavailable, always the same one."""
    global _loaded
    if _loaded is None:
        _loaded = _load()
    if isinstance(_loaded, WasmUnavailable):
        raise _loaded
    return _loaded


def _load() -> Kernels | WasmUnavailable:
    if sys.platform != "emscripten":
        return WasmUnavailable(f"the wasm kernels run only under Pyodide (this is {sys.platform})")
    if not PATH.exists():
        return WasmUnavailable(f"{PATH} is missing from the installed pyapp")
    started = time.perf_counter()
    try:
        lib = ctypes.CDLL(str(PATH))
        return Kernels(lib, (time.perf_counter() - started) * 1000)
    except (OSError, AttributeError) as e:
        return WasmUnavailable(f"loading {PATH.name} failed: {e}")
