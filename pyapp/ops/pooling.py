"""AvgPool / MaxPool (NHWC). TF's SAME average divides by the number of real (unpadded) pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .registry import Info, nhwc_pair, register
from .window import Window, parse_window, windows


@dataclass(frozen=True)
class Pool:
    ksize: tuple[int, int]
    window: Window


def parse_pool(attrs: dict[str, Any]) -> Pool:
    return Pool(nhwc_pair(attrs, "ksize"), parse_window(attrs))


def pool_infer(a: Pool, x: Info) -> list[Info]:
    if x.shape is None:
        return [Info(None, x.dtype)]
    n, h, w, c = x.shape
    return [Info((n, *a.window.output_hw(h, w, *a.ksize), c), x.dtype)]


def tiles(a: Pool, x: np.ndarray) -> np.ndarray | None:
    """Non-overlapping VALID windows as a reshaped view (N, Ho, kh, Wo, kw, C), or None."""
    (kh, kw), win = a.ksize, a.window
    if win.padding != "VALID" or win.strides != (kh, kw):
        return None
    n, h, w, c = x.shape
    ho, wo = h // kh, w // kw
    return x[:, : ho * kh, : wo * kw].reshape(n, ho, kh, wo, kw, c)


def real_pixel_counts(a: Pool, h: int, w: int) -> np.ndarray:
    """(Ho, Wo, 1) count of unpadded input pixels under each window."""

    def along(size: int, k: int, axis: int) -> np.ndarray:
        out, before, _ = a.window.axis(size, k, axis)
        start = np.arange(out) * a.window.strides[axis] - before
        return np.minimum(start + k, size) - np.maximum(start, 0)

    return (along(h, a.ksize[0], 0)[:, None] * along(w, a.ksize[1], 1)[None, :]).astype(np.float32)[:, :, None]


@register("AvgPool", infer=pool_infer, parse=parse_pool)
def avg_pool(a: Pool, x: np.ndarray) -> np.ndarray:
    # sums in float64, as TF.js's CPU backend does: selfie's 128x128 global pools drift by 1e-5 otherwise
    t = tiles(a, x)
    if t is not None:
        return t.mean(axis=(2, 4), dtype=np.float64).astype(x.dtype)
    total = windows(x, a.window, *a.ksize).sum(axis=(3, 4), dtype=np.float64)
    return (total / real_pixel_counts(a, x.shape[1], x.shape[2])).astype(x.dtype)


@register("MaxPool", infer=pool_infer, parse=parse_pool)
def max_pool(a: Pool, x: np.ndarray) -> np.ndarray:
    t = tiles(a, x)
    if t is not None:
        return t.max(axis=(2, 4))
    return windows(x, a.window, *a.ksize, pad_value=-np.inf).max(axis=(3, 4))
