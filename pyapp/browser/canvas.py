"""OffscreenCanvas helpers shared by the worker's calls: images in and out of numpy."""

from __future__ import annotations

import js
import numpy as np

from .jsbridge import heap_view, js_object

def canvas_2d(w: int, h: int):
    canvas = js.OffscreenCanvas.new(w, h)
    return canvas, canvas.getContext("2d", js_object({"willReadFrequently": True}))


def pixels(ctx, w: int, h: int) -> np.ndarray:
    return np.frombuffer(ctx.getImageData(0, 0, w, h).data.to_bytes(), np.uint8).reshape(h, w, 4)


def blank(h: int, w: int):
    """A black h x w ImageBitmap: warms up and probes a model the way frames run it."""
    canvas, _ = canvas_2d(w, h)
    return canvas.transferToImageBitmap()


def image_data(rgba: np.ndarray):
    h, w = rgba.shape[:2]
    return js.ImageData.new(heap_view(rgba, js.Uint8ClampedArray).slice(), w, h)


def size_of(image) -> tuple[int, int]:
    """(width, height) of an ImageBitmap, canvas, ImageData or VideoFrame."""
    if hasattr(image, "displayWidth"):
        return image.displayWidth, image.displayHeight
    return image.width, image.height
