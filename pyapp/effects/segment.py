"""The segmentation models the demo offers: input size, and how an output becomes P(person)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..ops.image import Resize, resize_bilinear

LINEAR = Resize(align_corners=False, half_pixel_centers=True)  # what GL's LINEAR filter samples


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))  # clipped: no overflow warnings


# How an output's channels give P(person); shaders.EMA has the same cases, by index in this table.
OUTPUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "probability": lambda y: y[..., 0],  # already a sigmoid
    # two logits (background, person): softmax's person share is the sigmoid of their difference
    "logits": lambda y: sigmoid(y[..., 1] - y[..., 0]),
}


@dataclass(frozen=True)
class Segmenter:
    size: tuple[int, int]  # model input (height, width); RGB in [0, 1]
    output: str  # a key of OUTPUTS


SEGMENTERS = {"selfie": Segmenter((256, 256), "probability"), "meet": Segmenter((144, 256), "logits")}


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W[, C]) -> (height, width[, C]) float32, bilinear with half-pixel centres."""
    x = image.astype(np.float32)
    flat = x.ndim == 2
    y = resize_bilinear(LINEAR, (x[..., None] if flat else x)[None], (height, width))[0]
    return y[..., 0] if flat else y


def model_input(name: str, rgb: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3|4) frame -> (1, h, w, 3) float32 in [0, 1], stretched to the model's size."""
    h, w = SEGMENTERS[name].size
    return resize(rgb[..., :3], h, w)[None] / 255.0


def probability(name: str, output: np.ndarray) -> np.ndarray:
    """The model's (1, h, w, c) output -> (h, w) float32 P(person)."""
    return OUTPUTS[SEGMENTERS[name].output](np.asarray(output, np.float32)[0]).astype(np.float32)
