"""The effects in numpy: the reference for the GLSL path, and the CPU backend's compositor.
Frames are uint8 (H, W, 4) RGBA; masks are float32 P(person) at the model's resolution."""

from __future__ import annotations

import numpy as np

from .blur import reduced_size, taps
from .options import Options, rgb
from .segment import resize


def edge_alpha(prob: np.ndarray, threshold: float, softness: float) -> np.ndarray:
    """P(person) -> alpha: a smoothstep of width `softness` centred on the threshold (0.5 there)."""
    half = max(softness, 1e-3) / 2
    t = np.clip((prob - (threshold - half)) / (2 * half), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class Smoother:
    """Temporal smoothing: an exponential moving average of the mask, restarted when its size changes."""

    def __init__(self):
        self.state: np.ndarray | None = None

    def __call__(self, prob: np.ndarray, weight: float) -> np.ndarray:
        if self.state is None or self.state.shape != prob.shape or weight <= 0:
            self.state = prob.astype(np.float32)
        else:
            self.state = weight * self.state + (1 - weight) * prob
        return self.state


def sample_offsets(image: np.ndarray, axis: int, offset: float) -> np.ndarray:
    """image shifted by a fractional `offset` pixels along axis, edges clamped, linear between texels
    (what a LINEAR texture fetch at that offset gives)."""
    n = image.shape[axis]
    pos = np.clip(np.arange(n) + offset, 0, n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    f = (pos - lo).astype(np.float32)
    shape = [1] * image.ndim
    shape[axis] = n
    f = f.reshape(shape)
    return np.take(image, lo, axis) * (1 - f) + np.take(image, hi, axis) * f


def blur(frame: np.ndarray, strength: float) -> np.ndarray:
    """Separable gaussian at reduced resolution, upsampled bilinearly: float32 (H, W, 3)."""
    h, w = frame.shape[:2]
    rh, rw = reduced_size(h, w)
    small = resize(frame[..., :3], rh, rw)
    weights, step = taps(strength, h, w)
    for axis in (1, 0):
        out = small * weights[0]
        for k in range(1, len(weights)):
            out += weights[k] * (sample_offsets(small, axis, k * step) + sample_offsets(small, axis, -k * step))
        small = out
    return resize(small, h, w)


def composite(frame: np.ndarray, prob: np.ndarray, options: Options, background: np.ndarray | None = None) -> np.ndarray:
    """uint8 RGBA frame + model-resolution P(person) -> uint8 RGBA, the options' effect applied."""
    h, w = frame.shape[:2]
    alpha = edge_alpha(resize(prob, h, w), options.threshold, options.softness)[..., None]
    rgb_in = frame[..., :3].astype(np.float32)
    effect = options.effect
    if effect == "mask":
        out = np.broadcast_to(alpha * 255.0, (h, w, 3))
    elif effect == "overlay":
        colour = np.array(rgb(options.colour), np.float32) * 255.0
        out = rgb_in + (colour - rgb_in) * (alpha * options.opacity)
    else:
        back = blur(frame, options.blur) if effect == "blur" else fit_background(background, h, w)
        out = back + (rgb_in - back) * alpha
    if options.flip:
        out = out[:, ::-1]
    rgba = np.empty((h, w, 4), np.uint8)
    rgba[..., :3] = np.clip(out + 0.5, 0, 255)
    rgba[..., 3] = 255
    return rgba


def fit_background(background: np.ndarray | None, h: int, w: int) -> np.ndarray:
    """The replacement image stretched to the frame, float32 RGB (mid grey until one is set)."""
    if background is None:
        return np.full((h, w, 3), 128.0, np.float32)
    if background.shape[:2] == (h, w):
        return background[..., :3].astype(np.float32, copy=False)
    return resize(background[..., :3], h, w)
