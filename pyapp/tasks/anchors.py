"""SSD anchors as MediaPipe's face detectors use them: square, of fixed size, one centre per cell of
each feature map, repeated for each anchor of that cell. Only the centres matter: with fixed-size
anchors the regressors give widths and heights directly."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ModelFormatError


@dataclass(frozen=True)
class Layer:
    stride: int
    rows: int
    cols: int
    per_cell: int

    @property
    def count(self) -> int:
        return self.rows * self.cols * self.per_cell


def ssd_layers(input_size: tuple[int, int], strides: tuple[int, ...], counts: tuple[int, ...], model: str) -> list[Layer]:
    """The feature maps of an SSD head: a stride each (from the model's configuration), anchors per
    cell derived from the number of anchors its output holds, which must fill the grid exactly."""
    if len(strides) != len(counts):
        raise ModelFormatError(f"{model}: {len(counts)} anchor outputs ({', '.join(map(str, counts))} anchors) "
                               f"for {len(strides)} feature-map strides ({', '.join(map(str, strides))})")
    h, w = input_size
    layers = []
    for stride, count in zip(strides, counts):
        rows, cols = math.ceil(h / stride), math.ceil(w / stride)
        if count % (rows * cols):
            raise ModelFormatError(f"{model}: an output of {count} anchors does not fill the {rows}x{cols} grid of "
                                   f"stride {stride} (input {h}x{w}) with a whole number per cell")
        layers.append(Layer(stride, rows, cols, count // (rows * cols)))
    return layers


def anchor_centres(layers: list[Layer]) -> np.ndarray:
    """(N, 2) anchor centres x, y normalised to [0, 1], layer by layer, row-major, cell anchors
    adjacent (the order of the SSD head's reshaped outputs)."""
    parts = []
    for layer in layers:
        ys, xs = np.meshgrid((np.arange(layer.rows) + 0.5) / layer.rows, (np.arange(layer.cols) + 0.5) / layer.cols, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
        parts.append(np.repeat(cells, layer.per_cell, axis=0))
    return np.concatenate(parts).astype(np.float32)
