"""Compositing effects for person segmentation: background blur, background replacement, mask
overlay and mask only, from a person-probability map. Two implementations of one definition:
numpy (cpu.py: the reference, and the CPU backend's path) and GLSL driven through a `gl` object
(gl.py: the WebGL path). No js imports here: the browser side passes `gl` in."""

from .options import EFFECTS, RESOLUTIONS, Options
from .segment import SEGMENTERS, model_input, probability

__all__ = ["EFFECTS", "Options", "RESOLUTIONS", "SEGMENTERS", "model_input", "probability"]
