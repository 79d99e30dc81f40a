"""Sliding-window geometry shared by convolutions and pooling (NHWC, TF's padding rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .registry import attr_str, nhwc_pair


@dataclass(frozen=True)
class Window:
    strides: tuple[int, int]
    dilations: tuple[int, int]
    padding: str  # SAME | VALID | EXPLICIT
    explicit: tuple[int, int, int, int]  # top, bottom, left, right (EXPLICIT only)

    def axis(self, size: int | None, k: int, axis: int) -> tuple[int | None, int, int]:
        """(output size, pad before, pad after) along H (axis 0) or W (axis 1), as TF computes them."""
        if size is None:
            return None, 0, 0
        s, d = self.strides[axis], self.dilations[axis]
        eff = (k - 1) * d + 1
        if self.padding == "SAME":
            out = -(-size // s)
            total = max((out - 1) * s + eff - size, 0)
            return out, total // 2, total - total // 2
        before, after = (self.explicit[0:2], self.explicit[2:4])[axis] if self.padding == "EXPLICIT" else (0, 0)
        out = (size + before + after - eff) // s + 1
        if out <= 0:
            raise ValueError(f"window {k} (dilation {d}) does not fit input size {size} with {self.padding} padding")
        return out, before, after

    def output_hw(self, h: int | None, w: int | None, kh: int, kw: int) -> tuple[int | None, int | None]:
        return self.axis(h, kh, 0)[0], self.axis(w, kw, 1)[0]


def parse_window(attrs: dict[str, Any]) -> Window:
    padding = attr_str(attrs, "padding")
    if padding not in ("SAME", "VALID", "EXPLICIT"):
        raise ValueError(f"padding {padding!r} is not supported")
    explicit = (0, 0, 0, 0)
    if padding == "EXPLICIT":
        p = [int(v) for v in attrs.get("explicit_paddings") or []]
        if len(p) != 8:
            raise ValueError(f"explicit_paddings needs 8 values (NHWC pairs), got {p}")
        explicit = (p[2], p[3], p[4], p[5])
    dilations = nhwc_pair(attrs, "dilations") if "dilations" in attrs else (1, 1)
    return Window(nhwc_pair(attrs, "strides"), dilations, padding, explicit)


def pad_hw(x: np.ndarray, top: int, bottom: int, left: int, right: int, value: float = 0.0) -> np.ndarray:
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top : top + h, left : left + w] = x
    return out


def windows(x: np.ndarray, win: Window, kh: int, kw: int, pad_value: float = 0.0) -> np.ndarray:
    """Read-only view (N, Ho, Wo, kh, kw, C) of every window over the padded input; no copy."""
    ho, pt, pb = win.axis(x.shape[1], kh, 0)
    wo, pl, pr = win.axis(x.shape[2], kw, 1)
    xp = pad_hw(x, pt, pb, pl, pr, pad_value)
    (sh, sw), (dh, dw) = win.strides, win.dilations
    sn, sy, sx, sc = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (xp.shape[0], ho, wo, kh, kw, xp.shape[3]), (sn, sy * sh, sx * sw, sy * dh, sx * dw, sc), writeable=False
    )
