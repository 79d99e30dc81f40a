"""The analyser page's logic that needs no browser: an image made into any model's input (with the
preprocessing toggles), outputs described as what they are (image, vector, other tensor), output
images as RGBA, latency statistics and backend comparisons. pyapp/browser/analyser.py calls these
in the worker; they are unit-tested in CPython."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .model import TensorSpec
from .tasks.preprocess import RESIZE_MODES, Preprocess, prepare

# [0, 1] pixels -> the model's value range
VALUE_RANGES = {
    "unit": lambda x: x,  # [0, 1]
    "signed": lambda x: x * np.float32(2) - np.float32(1),  # [-1, 1]
    "byte": lambda x: x * np.float32(255),  # [0, 255] as floats
    "int": lambda x: np.round(x * 255).astype(np.int32),  # 0..255 as integers
}
GRAY = np.array([0.2989, 0.5870, 0.1140], np.float32)  # ITU-R 601
IMAGE_CHANNELS = (1, 3, 4)


@dataclass(frozen=True)
class InputOptions:
    resize: str = "stretch"  # one of RESIZE_MODES
    value_range: str = "unit"  # a key of VALUE_RANGES
    channel_order: str = "rgb"  # or "bgr"
    flip: bool = False  # mirror left-right
    grayscale: bool = False  # forced for one-channel inputs

    @classmethod
    def of(cls, options: dict | None) -> InputOptions:
        known = {k: v for k, v in (options or {}).items() if k in cls.__dataclass_fields__}
        if unknown := sorted(set(options or {}) - set(known)):
            raise InputError(f"unknown input option {', '.join(map(repr, unknown))}")
        made = cls(**known)
        for name, value, allowed in (("resize", made.resize, RESIZE_MODES), ("value_range", made.value_range, tuple(VALUE_RANGES)),
                                     ("channel_order", made.channel_order, ("rgb", "bgr"))):
            if value not in allowed:
                raise InputError(f"{name}={value!r}: choose one of {', '.join(allowed)}")
        return made


def model_input(image: np.ndarray, spec: TensorSpec, options: InputOptions) -> np.ndarray:
    """An (H, W, 3|4) uint8 image -> the input `spec` wants ([1, H, W, C], C 1 or 3): sizes the
    model leaves open take the image's."""
    shape = spec.shape
    if shape is None or len(shape) != 4 or shape[3] not in (1, 3, None):
        raise InputError(f"input {spec.name!r} of shape {_text(shape)} is not an image ([1, height, width, 1 or 3])")
    rgb = np.asarray(image)[..., :3]
    if options.flip:
        rgb = rgb[:, ::-1]
    if options.channel_order == "bgr":
        rgb = rgb[..., ::-1]
    h, w = shape[1] or rgb.shape[0], shape[2] or rgb.shape[1]
    x = prepare(np.ascontiguousarray(rgb), Preprocess((h, w), options.resize, "unit"))[0]
    if options.grayscale or shape[3] == 1:
        x = (x @ GRAY)[..., None]
        if shape[3] != 1:  # gray in all three channels
            x = np.repeat(x, 3, axis=-1)
    x = VALUE_RANGES[options.value_range](x)
    if np.issubdtype(np.dtype(spec.dtype), np.integer):
        x = np.round(x).astype(spec.dtype)
    return np.ascontiguousarray(x)


def _text(shape) -> str:
    return "?" if shape is None else "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def image_shape(shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(H, W, C) when a tensor is image-like: [1,] H x W x C with C 1, 3 or 4, both sides >= 8."""
    dims = shape[1:] if len(shape) == 4 and shape[0] == 1 else shape
    if len(dims) == 3 and dims[2] in IMAGE_CHANNELS and min(dims[:2]) >= 8:
        return tuple(dims)
    return None


def describe_output(name: str, array: np.ndarray, top_k: int = 5, bins: int = 32) -> dict:
    """What an output is and its numbers: kind image / vector / tensor, shape, dtype, min / max /
    mean, a histogram; a vector's top-k entries."""
    a = np.asarray(array)
    values = a.astype(np.float64).ravel()
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi if hi > lo else lo + 1)) if finite.size else (np.zeros(bins), np.zeros(bins + 1))
    info = {"name": name, "shape": list(a.shape), "dtype": a.dtype.name, "min": lo, "max": hi,
            "mean": float(finite.mean()) if finite.size else 0.0, "non_finite": int(values.size - finite.size),
            "histogram": {"counts": [int(c) for c in counts], "edges": [float(e) for e in edges]}}
    if image_shape(a.shape) is not None:
        return {**info, "kind": "image"}
    squeezed = [d for d in a.shape if d != 1]
    if len(squeezed) == 1 and squeezed[0] >= 2:
        order = np.argsort(-values, kind="stable")[:top_k]
        return {**info, "kind": "vector", "top": [{"index": int(i), "value": float(values[i])} for i in order]}
    return {**info, "kind": "tensor"}


def display_range(described: dict) -> tuple[float, float]:
    """Values drawn black..white: [0, 1] when the output stays inside it, else its own min..max."""
    lo, hi = described["min"], described["max"]
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    return (lo, hi) if hi > lo else (lo, lo + 1)


def to_rgba(array: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """An image-like output -> (H, W, 4) uint8: one channel as gray, 3 as RGB, 4 as RGBA; lo..hi
    mapped to 0..255 (the same mapping the WebGL path's shader makes)."""
    h, w, c = image_shape(np.asarray(array).shape)
    x = np.asarray(array, np.float32).reshape(h, w, c)
    x = np.clip((x - np.float32(lo)) / np.float32(hi - lo), 0, 1)
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., :3] = x[..., :1] if c == 1 else x[..., :3]
    if c == 4:
        rgba[..., 3] = x[..., 3]
    return np.round(rgba * 255).astype(np.uint8)


def mask_rgba(alpha: np.ndarray, rgb: tuple[int, int, int] = (57, 255, 136), opacity: float = 0.5) -> np.ndarray:
    """A segmentation's (H, W) alpha in [0, 1] -> an (H, W, 4) uint8 overlay of one colour (the
    marks' colour, static/marks.js), to lay over the image."""
    rgba = np.empty((*alpha.shape, 4), np.uint8)
    rgba[..., :3] = rgb
    rgba[..., 3] = np.round(np.clip(alpha, 0, 1) * (255 * opacity))
    return rgba


def latency(times_ms: list[float]) -> dict:
    t = np.asarray(times_ms, np.float64)
    if not t.size:
        return {"count": 0}
    counts, edges = np.histogram(t, bins=min(20, max(1, t.size)))
    return {"count": int(t.size), "p50": float(np.percentile(t, 50)), "p95": float(np.percentile(t, 95)),
            "min": float(t.min()), "max": float(t.max()),
            "histogram": {"counts": [int(c) for c in counts], "edges": [float(e) for e in edges]}}


def max_differences(outputs: dict[str, dict[str, np.ndarray]], reference: str = "cpu") -> dict[str, dict[str, float]]:
    """backend -> output name -> max |value - reference's value|."""
    ref = outputs[reference]
    return {backend: {name: float(np.abs(np.asarray(got[name], np.float64) - np.asarray(ref[name], np.float64)).max())
                      for name in ref} for backend, got in outputs.items()}


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array))
    return buffer.getvalue()
