"""Arrays as they cross the page <-> worker boundary:

    {"dtype": "float32", "shape": [1, 256, 256, 3], "data": Float32Array (or a list of numbers)}

Pure (no JS): the worker hands the message's value here, so every malformed one is an InputError.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InputError

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned ints, floats


def from_wire(value: Any) -> np.ndarray:
    if not isinstance(value, dict) or (missing := [k for k in ("dtype", "shape", "data") if k not in value]):
        keys = ", ".join(missing) if isinstance(value, dict) else "dtype, shape, data"
        raise InputError(f"an array should be {{dtype, shape, data}}: {keys} missing")
    try:
        dtype = np.dtype(value["dtype"])
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in NUMERIC_KINDS:
        raise InputError(f"array dtype {value['dtype']!r} is not a numeric dtype (float32, int32, uint8, bool ...)")
    shape = value["shape"]
    if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise InputError(f"array shape {shape!r} should be a list of non-negative ints")
    data = value["data"]
    try:
        array = np.array(data, dtype) if isinstance(data, list) else np.frombuffer(data, dtype)
    except (TypeError, ValueError) as e:
        raise InputError(f"array data cannot be read as {dtype.name}: {e}") from None
    if array.ndim != 1 or array.size != math.prod(shape):
        count = f"{array.size:,} values" if array.ndim == 1 else f"a nested list of shape {array.shape}"
        raise InputError(f"array data holds {count}, shape {list(shape)} needs {math.prod(shape):,}")
    return array.reshape(shape)
