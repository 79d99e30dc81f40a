"""ResizeBilinear / ResizeNearestNeighbor with TF's coordinate mapping (align_corners, half_pixel_centers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .registry import Info, register


@dataclass(frozen=True)
class Resize:
    align_corners: bool
    half_pixel_centers: bool

    def source(self, in_size: int, out_size: int) -> np.ndarray:
        """Fractional source coordinate of each output pixel (float64, as TF.js computes it)."""
        scale = (in_size - 1) / (out_size - 1) if self.align_corners and out_size > 1 else in_size / out_size
        o = np.arange(out_size, dtype=np.float64)
        return (o + 0.5) * scale - 0.5 if self.half_pixel_centers else o * scale


def parse_resize(attrs: dict[str, Any]) -> Resize:
    a = Resize(bool(attrs.get("align_corners", False)), bool(attrs.get("half_pixel_centers", False)))
    if a.align_corners and a.half_pixel_centers:
        raise ValueError("align_corners and half_pixel_centers cannot both be true")
    return a


def resize_infer(a: Resize, x: Info, size: Info) -> list[Info]:
    hw = (None, None) if size.value is None else tuple(int(v) for v in size.value)
    n, c = (None, None) if x.shape is None else (x.shape[0], x.shape[3])
    return [Info((n, *hw, c), x.dtype)]


def bilinear_axis(a: Resize, in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    src = a.source(in_size, out_size)
    lo = np.floor(src)
    frac = (src - lo).astype(np.float32)
    return np.maximum(lo, 0).astype(np.intp), np.minimum(np.ceil(src), in_size - 1).astype(np.intp), frac


@register("ResizeBilinear", infer=resize_infer, parse=parse_resize)
def resize_bilinear(a: Resize, x: np.ndarray, size: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32, copy=False)
    (h, w), (oh, ow) = x.shape[1:3], (int(v) for v in size)
    y0, y1, fy = bilinear_axis(a, h, oh)
    x0, x1, fx = bilinear_axis(a, w, ow)
    # TF's order: top = tl + (tr - tl) * fx (likewise bottom), then top + (bottom - top) * fy. The
    # horizontal lerp is done once per input row, and rows are then picked, so it is bitwise the same.
    left, right = x[:, :, x0], x[:, :, x1]
    rows = left + (right - left) * fx[:, None]
    top, bottom = rows[:, y0], rows[:, y1]
    return top + (bottom - top) * fy[:, None, None]


def nearest_axis(a: Resize, in_size: int, out_size: int) -> np.ndarray:
    src = a.source(in_size, out_size) + (0.5 if a.half_pixel_centers else 0.0)
    idx = np.minimum(np.floor(src + 0.5) if a.align_corners else np.floor(src), in_size - 1)
    return np.maximum(idx, 0).astype(np.intp)


@register("ResizeNearestNeighbor", infer=resize_infer, parse=parse_resize)
def resize_nearest(a: Resize, x: np.ndarray, size: np.ndarray) -> np.ndarray:
    (h, w), (oh, ow) = x.shape[1:3], (int(v) for v in size)
    return x[:, nearest_axis(a, h, oh)][:, :, nearest_axis(a, w, ow)]
