"""FaceEmbedder (mobilefacenet): an L2-normalised embedding of a face crop, and cosine similarity."""

from __future__ import annotations

import time

import numpy as np

from ..errors import InputError
from .task import Task


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64).reshape(-1), np.asarray(b, np.float64).reshape(-1)
    if a.shape != b.shape:
        raise InputError(f"cosine_similarity: embeddings of {a.size} and {b.size} values")
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm else 0.0


class FaceEmbedder(Task):
    kind = "embed"
    verb = "embed"

    def embed(self, image) -> np.ndarray:
        """An (H, W, 3|4) face crop -> (D,) float32 of unit length."""
        outputs, _ = self.run(image)
        t0 = time.perf_counter()
        (vector,) = (np.asarray(v, np.float64).reshape(-1) for v in outputs.values())
        norm = np.linalg.norm(vector)
        result = (vector / norm if norm else vector).astype(np.float32)
        self.decoded(t0)
        return result
