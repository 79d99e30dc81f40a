"""Convolutions (NHWC): Conv2D, DepthwiseConv2dNative, their fused forms, Conv2DBackpropInput.

Conv2D is im2col (a strided view copied once) + one float32 matmul; 1x1 convs skip the copy.
Depthwise accumulates kh*kw taps, each vectorised over all pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .fused import Fused, apply_fused, parse_fused
from .gemm import gemm
from .registry import Info, const_value, register
from .window import Window, pad_hw, parse_window, windows


@dataclass(frozen=True)
class Conv:
    window: Window
    fused: Fused = Fused()  # the fused forms' bias and activation (extra inputs after the filter)


def parse_conv(attrs: dict[str, Any]) -> Conv:
    return Conv(parse_window(attrs))


def parse_fused_conv(attrs: dict[str, Any]) -> Conv:
    return Conv(parse_window(attrs), parse_fused(attrs))


def conv_infer(a: Conv, x: Info, w: Info, *args: Info, depthwise: bool = False) -> list[Info]:
    if x.shape is None or w.shape is None:
        return [Info(None, x.dtype)]
    n, h, wd, c = x.shape
    kh, kw, ci, co = w.shape
    if c is not None and c != ci:
        raise ValueError(f"input has {c} channels, filter expects {ci}")
    ho, wo = a.window.output_hw(h, wd, kh, kw)
    return [Info((n, ho, wo, ci * co if depthwise else co), x.dtype)]


def conv2d(a: Conv, x: np.ndarray, w: np.ndarray, *args: np.ndarray) -> np.ndarray:
    kh, kw, ci, co = w.shape
    win = a.window
    if kh == kw == 1 and win.strides == (1, 1) and win.padding != "EXPLICIT":
        y = gemm(x.reshape(-1, ci), w.reshape(ci, co))
        y = y.reshape(*x.shape[:3], co)
    else:
        cols = windows(x, win, kh, kw)
        y = gemm(cols.reshape(-1, kh * kw * ci), w.reshape(kh * kw * ci, co))
        y = y.reshape(*cols.shape[:3], co)
    return apply_fused(a.fused, y, args)


def depthwise_conv2d(a: Conv, x: np.ndarray, w: np.ndarray, *args: np.ndarray) -> np.ndarray:
    kh, kw, c, m = w.shape
    if m != 1:  # channel multiplier: output channel c*m + k reads input channel c
        x, w = np.repeat(x, m, axis=3), w.reshape(kh, kw, 1, c * m)
    c *= m
    w = w.reshape(kh, kw, c)
    win = a.window
    ho, pt, pb = win.axis(x.shape[1], kh, 0)
    wo, pl, pr = win.axis(x.shape[2], kw, 1)
    xp = pad_hw(x, pt, pb, pl, pr)
    (sh, sw), (dh, dw) = win.strides, win.dilations
    n = x.shape[0]
    # Strided taps are split into stride phases (one contiguous copy each) so that every tap is a
    # plain slice whose (W, C) axes merge into one long contiguous row: numpy's inner loop then
    # runs over wo*c floats with a tiled weight row instead of over c floats at a time.
    phases: dict[tuple[int, int], np.ndarray] = {}
    y = tmp = None
    for i in range(kh):
        for j in range(kw):
            key = (i * dh % sh, j * dw % sw)
            if key not in phases:
                phases[key] = xp if (sh, sw) == (1, 1) else np.ascontiguousarray(xp[:, key[0] :: sh, key[1] :: sw])
            r, q = i * dh // sh, j * dw // sw
            tap = phases[key][:, r : r + ho, q : q + wo].reshape(n, ho, wo * c)
            weight = np.tile(w[i, j], wo)
            if y is None:
                y = tap * weight
                tmp = np.empty_like(y)
            else:
                y += np.multiply(tap, weight, out=tmp)
    y = y.reshape(n, ho, wo, c)
    return apply_fused(a.fused, y, args)


for _name, _kernel, _parse, _dw in (
    ("Conv2D", conv2d, parse_conv, False),
    ("_FusedConv2D", conv2d, parse_fused_conv, False),
    ("DepthwiseConv2dNative", depthwise_conv2d, parse_conv, True),
    ("FusedDepthwiseConv2dNative", depthwise_conv2d, parse_fused_conv, True),
):
    register(_name, infer=lambda a, x, w, *args, dw=_dw: conv_infer(a, x, w, *args, depthwise=dw), parse=_parse)(_kernel)


def deconv_infer(a: Conv, sizes: Info, w: Info, dy: Info) -> list[Info]:
    return [Info(tuple(int(v) for v in const_value(sizes, "input_sizes")), dy.dtype)]


@register("Conv2DBackpropInput", infer=deconv_infer, parse=parse_conv)
def conv2d_backprop_input(a: Conv, sizes: np.ndarray, w: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Transposed conv: scatter each dy pixel's (kh, kw, Cin) contribution back onto the input grid."""
    n, h, wd, ci = (int(v) for v in sizes)
    kh, kw, _, co = w.shape
    win = a.window
    ho, pt, pb = win.axis(h, kh, 0)
    wo, pl, pr = win.axis(wd, kw, 1)
    if dy.shape[1:3] != (ho, wo):
        raise ValueError(f"out_backprop is {dy.shape[1:3]}, input_sizes {h}x{wd} give {(ho, wo)}")
    (sh, sw), (dh, dw) = win.strides, win.dilations
    cols = gemm(dy.reshape(-1, co), w.reshape(kh * kw * ci, co).T).reshape(n, ho, wo, kh, kw, ci)
    buf = np.zeros((n, max(h + pt + pb, (ho - 1) * sh + (kh - 1) * dh + 1), max(wd + pl + pr, (wo - 1) * sw + (kw - 1) * dw + 1), ci), dy.dtype)
    for i in range(kh):
        for j in range(kw):
            buf[:, i * dh : i * dh + (ho - 1) * sh + 1 : sh, j * dw : j * dw + (wo - 1) * sw + 1 : sw] += cols[:, :, :, i, j]
    return np.ascontiguousarray(buf[:, pt : pt + h, pl : pl + wd])
