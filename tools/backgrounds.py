"""Draws the demo's bundled background images (static/backgrounds/*.png) with numpy + Pillow:
no downloaded images. Run `python -m tools.backgrounds` after changing a design here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parents[1] / "static" / "backgrounds"
W, H = 640, 360


def grid() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    return y / (H - 1), x / (W - 1)


def lerp(a, b, t):
    return np.asarray(a, np.float32) + (np.asarray(b, np.float32) - a) * t[..., None]


def sunset() -> np.ndarray:
    y, x = grid()
    sky = lerp((255, 183, 94), (94, 48, 140), 1 - y)
    sun = np.exp(-(((x - 0.7) * 1.8) ** 2 + ((y - 0.62) * 3.2) ** 2) * 6)[..., None]
    return sky + (np.array([255, 236, 170]) - sky) * sun


def ocean() -> np.ndarray:
    y, x = grid()
    deep = lerp((120, 210, 230), (8, 40, 88), y)
    waves = 0.06 * np.sin(x * 40 + np.sin(y * 9) * 3)[..., None] * (y[..., None] > 0.45)
    return deep * (1 + waves)


def studio() -> np.ndarray:
    y, x = grid()
    r = np.sqrt(((x - 0.5) * 1.6) ** 2 + (y - 0.45) ** 2)
    return lerp((222, 226, 232), (52, 58, 70), np.clip(r * 1.3, 0, 1))


def bokeh() -> np.ndarray:
    y, x = grid()
    img = lerp((18, 28, 48), (46, 24, 60), x)
    rng = np.random.default_rng(7)  # fixed: the same image on every run
    for cx, cy, radius, hue in zip(rng.random(28), rng.random(28), rng.uniform(0.03, 0.09, 28), rng.random(28)):
        d = np.sqrt((x - cx) ** 2 + ((y - cy) * H / W) ** 2)
        disc = np.clip((radius - d) / 0.006, 0, 1)[..., None] * 0.35
        colour = np.array([255, 170 + 80 * hue, 90 + 150 * (1 - hue)])
        img = img + (colour - img) * disc
    return img


DESIGNS = {"sunset": sunset, "ocean": ocean, "studio": studio, "bokeh": bokeh}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in DESIGNS.items():
        Image.fromarray(np.clip(draw() + 0.5, 0, 255).astype(np.uint8)).save(OUT / f"{name}.png", optimize=True)
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
