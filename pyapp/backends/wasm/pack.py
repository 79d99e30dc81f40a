"""Weights laid out at load: for gemm_f32 (and conv_f32) panels of 8 output columns, each [8 bias][k rows
of 8]; for depthwise_f32 blocks of 4 channels, each [4 bias][kh kw taps of 4]."""

from __future__ import annotations

import numpy as np

PANEL = 8


def pack_gemm(w: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """w: (k, n) float32, bias: (n,) or None -> flat float32 of ceil(n/8) * (8 + 8k) values, zeros past n."""
    k, n = w.shape
    panels = -(-n // PANEL)
    wide = np.zeros((k + 1, panels * PANEL), np.float32)
    if bias is not None:
        wide[0, :n] = bias
    wide[1:, :n] = w
    return np.ascontiguousarray(wide.reshape(k + 1, panels, PANEL).transpose(1, 0, 2)).reshape(-1)


def unpack_gemm(packed: np.ndarray, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of pack_gemm: (w, bias)."""
    panels = packed.reshape(-1, k + 1, PANEL).transpose(1, 0, 2).reshape(k + 1, -1)
    return panels[1:, :n], panels[0, :n]


def pack_depthwise(w: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """w: (kh, kw, c, 1), bias: (c,) -> per block of 4 channels [4 bias][kh kw taps of 4], zeros past c."""
    kh, kw, c, _ = w.shape
    blocks = -(-c // 4)
    wide = np.zeros((1 + kh * kw, blocks * 4), np.float32)
    wide[0, :c] = bias
    wide[1:, :c] = w.reshape(kh * kw, c)
    return np.ascontiguousarray(wide.reshape(1 + kh * kw, blocks, 4).transpose(1, 0, 2)).reshape(-1)
