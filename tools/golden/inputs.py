"""The exact input tensors both engines get: real images resized with Pillow, plus one seeded random image."""

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# Human (vladmandic/human) turns a [0,1] RGB face crop into grayscale with these weights, then maps it to [-1,1].
GRAY_WEIGHTS = np.array([0.2989, 0.5870, 0.1140], np.float32)

SCALES = {
    "unit": lambda rgb: (rgb / np.float32(255)),
    "signed": lambda rgb: rgb / np.float32(127.5) - np.float32(1),
    "uint8": lambda rgb: rgb.astype(np.int32),
    "gray_signed": lambda rgb: ((rgb / np.float32(255)) @ GRAY_WEIGHTS - np.float32(0.5))[..., None] * np.float32(2),
}


@dataclass(frozen=True)
class InputSpec:
    height: int
    width: int
    scale: str  # key of SCALES


MODELS = {
    "selfie": InputSpec(256, 256, "unit"),
    "meet": InputSpec(144, 256, "unit"),
    "blazeface": InputSpec(256, 256, "signed"),
    "posenet": InputSpec(385, 385, "signed"),
    "movenet-lightning": InputSpec(192, 192, "uint8"),
    "emotion": InputSpec(64, 64, "gray_signed"),
    "mobilefacenet": InputSpec(112, 112, "unit"),
}
IMAGES = ("astronaut", "camera", "coffee")
CASES = IMAGES + ("random",)


def rgb_pixels(model: str, case: str, images_dir: Path) -> np.ndarray:
    """HxWx3 float32 pixel values in [0, 255]."""
    spec = MODELS[model]
    if case == "random":
        rng = np.random.default_rng(zlib.crc32(model.encode()))
        return rng.integers(0, 256, (spec.height, spec.width, 3)).astype(np.float32)
    image = Image.open(images_dir / f"{case}.png").convert("RGB")
    return np.asarray(image.resize((spec.width, spec.height), Image.BILINEAR), np.float32)


def make_input(model: str, case: str, images_dir: Path) -> np.ndarray:
    """The 1xHxWxC batch for `model` from image `case` (or "random"), scaled as the model expects."""
    pixels = SCALES[MODELS[model].scale](rgb_pixels(model, case, images_dir))
    return np.ascontiguousarray(pixels[None])
