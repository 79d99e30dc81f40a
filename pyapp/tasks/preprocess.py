"""Image -> model input: resize (stretch, letterbox, crop), value range; and the transform that
takes model-input coordinates back to the image's pixels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..effects.segment import resize
from ..errors import InputError

# pixel values in [0, 255] -> what the model was trained on
VALUE_RANGES = {
    "unit": lambda rgb: rgb / np.float32(255),
    "signed": lambda rgb: rgb / np.float32(127.5) - np.float32(1),
    "uint8": lambda rgb: np.round(rgb).astype(np.int32),
    # grayscale (ITU-R 601 weights, as the emotion model's publisher converts) in [-1, 1]
    "gray_signed": lambda rgb: (rgb @ np.array([0.2989, 0.5870, 0.1140], np.float32))[..., None] / np.float32(127.5) - np.float32(1),
}
RESIZE_MODES = ("stretch", "letterbox", "crop")


@dataclass(frozen=True)
class Preprocess:
    size: tuple[int, int]  # model input (height, width)
    resize: str  # one of RESIZE_MODES
    value_range: str  # a key of VALUE_RANGES

    def check(self) -> None:
        if self.resize not in RESIZE_MODES:
            raise InputError(f"resize={self.resize!r}: choose one of {', '.join(RESIZE_MODES)}")
        if self.value_range not in VALUE_RANGES:
            raise InputError(f"value_range={self.value_range!r}: choose one of {', '.join(VALUE_RANGES)}")
        if len(self.size) != 2 or min(self.size) < 1:
            raise InputError(f"input_size={self.size!r}: expected (height, width)")

    @property
    def channels(self) -> int:
        return 1 if self.value_range.startswith("gray") else 3


@dataclass(frozen=True)
class Transform:
    """model-input pixel = image pixel * scale + offset, per axis (x, y); continuous coordinates
    (pixel centres at .5), as the half-pixel bilinear resize samples."""
    scale: tuple[float, float]
    offset: tuple[float, float]
    image_size: tuple[int, int]  # (height, width) of the image

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) x, y in model-input pixels -> image pixels."""
        xy = np.asarray(xy, np.float64)
        return (xy - np.array(self.offset)) / np.array(self.scale)

    def unwarp(self, plane: np.ndarray) -> np.ndarray:
        """A (H, W) map over the model input -> the same over the image (0 where the model saw
        none of the image: a crop's cut-off sides)."""
        h, w = self.image_size
        (sx, sy), (ox, oy) = self.scale, self.offset
        # the model-input rectangle the image covers, clipped to the input
        x0, y0 = max(ox, 0.0), max(oy, 0.0)
        x1, y1 = min(ox + w * sx, plane.shape[1]), min(oy + h * sy, plane.shape[0])
        inside = plane[round(y0):round(y1), round(x0):round(x1)]
        # the image region that rectangle maps back to
        ix0, iy0 = round((x0 - ox) / sx), round((y0 - oy) / sy)
        ix1, iy1 = round((x1 - ox) / sx), round((y1 - oy) / sy)
        out = np.zeros((h, w), np.float32)
        out[iy0:iy1, ix0:ix1] = resize(inside, iy1 - iy0, ix1 - ix0)
        return out


def as_rgb(image) -> np.ndarray:
    """An (H, W, 3|4) uint8 image, or float in [0, 1] -> float32 (H, W, 3) in [0, 255]."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < 1:
        raise InputError(f"image: expected an (height, width, 3 or 4) array, got shape {tuple(arr.shape)}")
    rgb = arr[..., :3]
    if np.issubdtype(arr.dtype, np.integer):
        return rgb.astype(np.float32)
    if not np.issubdtype(arr.dtype, np.floating):
        raise InputError(f"image: expected uint8 or float pixels, got dtype {arr.dtype}")
    if rgb.size and (rgb.min() < 0 or rgb.max() > 1):
        raise InputError(f"image: float pixels must be in [0, 1] (got {rgb.min():.3g}..{rgb.max():.3g}); pass uint8 for 0..255")
    return rgb.astype(np.float32) * np.float32(255)


def fit(image_hw: tuple[int, int], pre: Preprocess) -> tuple[Transform, tuple[int, int, int, int]]:
    """Where the image goes in the model input: the transform, and the image rectangle
    (y0, y1, x0, x1) that is resized (a crop's centre, else all of it)."""
    (h, w), (mh, mw) = image_hw, pre.size
    if pre.resize == "stretch":
        return Transform((mw / w, mh / h), (0.0, 0.0), (h, w)), (0, h, 0, w)
    if pre.resize == "letterbox":
        s = min(mh / h, mw / w)
        nh, nw = max(1, round(h * s)), max(1, round(w * s))
        oy, ox = (mh - nh) // 2, (mw - nw) // 2
        return Transform((nw / w, nh / h), (float(ox), float(oy)), (h, w)), (0, h, 0, w)
    s = max(mh / h, mw / w)  # crop: the centre with the model's aspect ratio
    ch, cw = min(h, round(mh / s)), min(w, round(mw / s))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    sx, sy = mw / cw, mh / ch
    return Transform((sx, sy), (-x0 * sx, -y0 * sy), (h, w)), (y0, y0 + ch, x0, x0 + cw)


def prepare(image, pre: Preprocess) -> tuple[np.ndarray, Transform]:
    """image -> (the (1, H, W, C) model input, the transform back to the image)."""
    rgb = as_rgb(image)
    transform, (y0, y1, x0, x1) = fit(rgb.shape[:2], pre)
    mh, mw = pre.size
    if pre.resize == "letterbox":
        (sx, sy), (ox, oy) = transform.scale, transform.offset
        nh, nw = round(rgb.shape[0] * sy), round(rgb.shape[1] * sx)
        canvas = np.zeros((mh, mw, 3), np.float32)  # black bars
        canvas[int(oy):int(oy) + nh, int(ox):int(ox) + nw] = resize(rgb, nh, nw)
    else:
        canvas = resize(rgb[y0:y1, x0:x1], mh, mw)
    return np.ascontiguousarray(VALUE_RANGES[pre.value_range](canvas)[None]), transform
