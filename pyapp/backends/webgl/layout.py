"""Texture layout: a tensor is NHWC (lower ranks padded with leading 1s), channels packed 4 per RGBA
texel, in a 2D array texture of ROWS layers: row h of image n is layer h % ROWS, texel row
n * ceil(H / ROWS) + h // ROWS, texel column w * ceil(C / 4) + c // 4; float32. A pass draws ROWS
consecutive rows per fragment, one to each layer (multiple render targets), so one filter fetch
serves ROWS outputs. Padded lanes hold 0 so no kernel has to mask reads; the padded rows past H are
never read. Filters are arrays of one layer. A tensor read back is first copied into a plain 2D
texture, texel (w * ceil(C / 4) + c // 4, n * H + h).
"""

from __future__ import annotations

import numpy as np

Shape4 = tuple[int, int, int, int]


def shape4(shape: tuple[int, ...]) -> Shape4:
    if len(shape) > 4:
        raise ValueError(f"rank {len(shape)} tensors have no texture layout")
    n, h, w, c = (1,) * (4 - len(shape)) + tuple(int(d) for d in shape)
    return n, h, w, c


ROWS = 4  # layers of a tensor's texture = output rows drawn per fragment: the convs' filter fetches,
# half the time of a 1x1 conv in SwiftShader, are shared by 4 rows (bench.webgl: 1.6-1.7x faster runs)


MAX_TEXTURE = 4096  # texels a side: what any WebGL2 we target gives (SwiftShader 8192); the runner checks


def texture_size(shape: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) in texels of each of the ROWS layers."""
    n, h, w, c = shape4(shape)
    return w * -(-c // 4), n * -(-h // ROWS)


def pack(x: np.ndarray) -> np.ndarray:
    """Tensor -> the float32 texel data of its texture: (ROWS, height, width * 4)."""
    n, h, w, c = shape4(x.shape)
    hb, c4 = -(-h // ROWS), -(-c // 4) * 4
    out = np.zeros((n, hb * ROWS, w, c4), np.float32)
    out[:, :h, :, :c] = x.reshape(n, h, w, c)
    return np.ascontiguousarray(out.reshape(n, hb, ROWS, w * c4).transpose(2, 0, 1, 3)).reshape(ROWS, n * hb, w * c4)


def unpack(data: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Texel data of the tensor's plain 2D copy (texel (w * C4 + c, n * H + h), as read back) -> the
    tensor of this shape."""
    n, h, w, c = shape4(shape)
    return np.ascontiguousarray(data.reshape(n * h, w, -1)[:, :, :c]).reshape(shape)


def pad_to(x: np.ndarray, axis: int, size: int) -> np.ndarray:
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, size - x.shape[axis])
    return np.pad(x, widths)


def pack_blocks(w: np.ndarray, transpose: bool = False) -> np.ndarray:
    """Filter (taps, In, Out) -> texture data of 4x4 blocks. Conv: row t*Out4 + o, texel i*4 + j holds
    w[t, 4i+j, 4o:4o+4], one input channel's weights for 4 outputs. transpose (Conv2DBackpropInput,
    whose outputs are the filter's In axis): row t*In4 + o, texel i*4 + j holds w[t, 4o+j, 4i:4i+4],
    to be dotted with 4 input channels."""
    t, a, b = w.shape
    a4, b4 = -(-a // 4), -(-b // 4)
    w = pad_to(pad_to(w.astype(np.float32), 1, a4 * 4), 2, b4 * 4)
    if transpose:  # [t, o, j, i, k] -> [t, o, i, j, k]
        return np.ascontiguousarray(w.reshape(t, a4, 4, b4, 4).transpose(0, 1, 3, 2, 4)).reshape(t * a4, b4 * 16)
    return np.ascontiguousarray(w.reshape(t, a4 * 4, b4, 4).transpose(0, 2, 1, 3)).reshape(t * b4, a4 * 16)


def pack_channels(w: np.ndarray) -> np.ndarray:
    """Depthwise filter (taps, C) -> one row per tap of C/4 texels."""
    t, c = w.shape
    return pad_to(w.astype(np.float32), 1, -(-c // 4) * 4)
