"""How many bytes one tensor may take. Checked from declared shapes before anything is allocated,
so that a few bytes of model.json cannot make pyapp allocate gigabytes.

The limit is DEFAULT_MAX_TENSOR_BYTES (2 GiB in CPython, 512 MiB under Pyodide, where the whole
wasm heap is 4 GiB at most), or the byte count in the environment variable PYAPP_MAX_TENSOR_BYTES.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

from pyapp.errors import ModelFormatError, PyappError, TooLargeError

ENV_VAR = "PYAPP_MAX_TENSOR_BYTES"
DEFAULT_MAX_TENSOR_BYTES = 512 * 2**20 if sys.platform == "emscripten" else 2 * 2**30
# dtypes numpy has no name for; a string element is held as a Python object (a pointer)
_ITEM_BYTES = {"bfloat16": 2, "string": 8, "resource": 8, "variant": 8}


def max_tensor_bytes() -> int:
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        return DEFAULT_MAX_TENSOR_BYTES
    if not text.isdigit() or int(text) == 0:
        raise PyappError(f"{ENV_VAR}={text!r}: expected a positive byte count, e.g. 536870912")
    return int(text)


def item_bytes(dtype: str) -> int:
    return _ITEM_BYTES[dtype] if dtype in _ITEM_BYTES else np.dtype(dtype).itemsize


def check_tensor_size(shape, dtype: str, what: str) -> None:
    """Refuses a tensor of this shape and dtype if it would be over the limit (or has a negative
    dim); unknown dims (None) are not counted. Exact for any size: Python ints do not overflow."""
    if shape is None:
        return
    if any(d is not None and d < 0 for d in shape):
        raise ModelFormatError(f"{what}: shape {list(shape)} has a negative dimension")
    size = math.prod(int(d) for d in shape if d is not None) * item_bytes(dtype)
    if size > (limit := max_tensor_bytes()):
        raise TooLargeError(f"{what}: shape {list(shape)} of {dtype} needs {size:,} bytes, over the "
                            f"{limit:,}-byte limit for one tensor ({ENV_VAR})")
