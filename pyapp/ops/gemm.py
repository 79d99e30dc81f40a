"""The one float32 matrix product behind Conv2D, Conv2DBackpropInput and MatMul, picked by measurement.

CPython's numpy hands matmul to BLAS. Pyodide's numpy has no BLAS: its fallback matmul loop is about
3x slower than einsum's contiguous dot-product kernel once the inner dimension reaches 32 (measured
in Pyodide 0.27.7 under Node: 225x256 @ 256x256 takes 22 ms with matmul, 6.6 ms with einsum).
"""

from __future__ import annotations

import sys

import numpy as np

NO_BLAS = sys.platform == "emscripten"


def gemm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, K) @ (K, N) -> (M, N)."""
    if NO_BLAS and a.shape[1] >= 32:
        return np.einsum("mk,nk->mn", a, np.ascontiguousarray(b.T))
    return a @ b
