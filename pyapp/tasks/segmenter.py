"""ImageSegmenter (selfie, meet): P(person) at the image's size, thresholded, with the demo's edge
softness and temporal smoothing (pyapp.effects)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..effects.cpu import Smoother, edge_alpha
from ..effects.options import MAX_SMOOTHING
from ..effects.segment import probability
from .task import Task


@dataclass(frozen=True)
class Segmentation:
    probability: np.ndarray  # (H, W) float32 P(person), smoothed over frames when asked
    alpha: np.ndarray  # (H, W) float32: the threshold's edge ramp of width `softness`
    mask: np.ndarray  # (H, W) bool: probability >= threshold


class ImageSegmenter(Task):
    kind = "segment"
    verb = "segment"
    defaults = {"threshold": 0.5, "softness": 0.15, "smoothing": 0.0}
    limits = {"threshold": (0, 1), "softness": (0, 1), "smoothing": (0, MAX_SMOOTHING)}

    def __init__(self, model, name, **options):
        super().__init__(model, name, **options)
        self.smoother = Smoother()  # frames of a video, one after another

    def segment(self, image) -> Segmentation:
        """smoothing > 0: the probability is an exponential moving average with the previous
        calls' (weight of the previous), restarted when the image size changes."""
        outputs, transform = self.run(image)
        t0 = time.perf_counter()
        (output,) = outputs.values()
        prob = self.smoother(transform.unwarp(probability(self.name, output)), self.options["smoothing"])
        threshold = self.options["threshold"]
        result = Segmentation(prob, edge_alpha(prob, threshold, self.options["softness"]).astype(np.float32), prob >= threshold)
        self.decoded(t0)
        return result
