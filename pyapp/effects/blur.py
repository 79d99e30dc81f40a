"""The blur both paths share: a separable gaussian at a reduced resolution, same taps for numpy
and GLSL."""

from __future__ import annotations

import math

import numpy as np

REDUCE = 4  # the blur runs at 1/REDUCE of the frame size: 1/16 of the work, and blur hides it
MAX_TAPS = 15  # per pass; the GLSL loop bound
MAX_SIGMA = 0.03  # of the frame's longer side, at strength 1


def reduced_size(height: int, width: int) -> tuple[int, int]:
    return max(1, round(height / REDUCE)), max(1, round(width / REDUCE))


def taps(strength: float, height: int, width: int) -> tuple[np.ndarray, float]:
    """Normalised gaussian weights for offsets 0..n-1 (mirrored for negatives), and the spacing of
    the taps in reduced pixels: wide blurs spread MAX_TAPS taps instead of adding more."""
    sigma = max(strength * MAX_SIGMA * max(height, width) / REDUCE, 1e-3)
    n = min(MAX_TAPS // 2 + 1, max(2, math.ceil(2.5 * sigma) + 1))
    step = max(1.0, 2.5 * sigma / (n - 1))
    x = np.arange(n) * step
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return (w / (w[0] + 2 * w[1:].sum())).astype(np.float32), float(step)
