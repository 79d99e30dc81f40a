"""ImageClassifier (emotion): the model's class scores as labelled categories, best first."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import ModelFormatError
from .task import Task


@dataclass(frozen=True)
class Category:
    label: str
    score: float


class ImageClassifier(Task):
    kind = "classify"
    verb = "classify"
    defaults = {"top_k": None}  # None: every class
    limits = {"top_k": (1, 10_000)}

    def __init__(self, model, name, **options):
        super().__init__(model, name, **options)
        (out,) = self.model.outputs
        if out.shape is None or out.shape[-1] != len(self.config.labels):
            raise ModelFormatError(f"{name}: output {out.name!r} has shape {out.shape}, not one score for each of "
                                   f"{len(self.config.labels)} labels")

    def classify(self, image) -> list[Category]:
        """An (H, W, 3|4) image, e.g. a face crop -> the categories (top_k of them), best first."""
        outputs, _ = self.run(image)
        t0 = time.perf_counter()
        (scores,) = (np.asarray(v, np.float64).reshape(-1) for v in outputs.values())
        top_k = self.options["top_k"]
        order = np.argsort(-scores, kind="stable")[: None if top_k is None else int(top_k)]
        result = [Category(self.config.labels[i], float(scores[i])) for i in order]
        self.decoded(t0)
        return result
