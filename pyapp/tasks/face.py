"""FaceDetector: BlazeFace's SSD outputs -> face boxes with 6 keypoints, in the image's pixels.

Per anchor the model gives a score logit and 16 regressors, in input pixels: the box centre's
offset from the anchor (x, y), its width and height, then 6 keypoints (x, y) as offsets from the
anchor. The outputs come in pairs per feature map, (1, N, 1) scores and (1, N, 16) regressors; the
finer map (more anchors) comes first, as the publishers concatenate them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import InputError, ModelFormatError
from ..effects.segment import sigmoid
from .anchors import anchor_centres, ssd_layers
from .nms import weighted_nms
from .preprocess import Transform
from .task import Task

KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")  # the subject's left and right
REGRESSORS = 4 + 2 * len(KEYPOINTS)


@dataclass(frozen=True)
class Detection:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    score: float
    keypoints: tuple[tuple[float, float], ...]  # (x, y) per KEYPOINTS

    def as_dict(self) -> dict:
        return {"box": list(self.box), "score": self.score,
                "keypoints": [{"name": n, "x": x, "y": y} for n, (x, y) in zip(KEYPOINTS, self.keypoints)]}


class FaceDetector(Task):
    kind = "face"
    verb = "detect"
    defaults = {"score_threshold": 0.5, "iou_threshold": 0.3, "max_results": 10}
    limits = {"score_threshold": (0, 1), "iou_threshold": (0, 0.99), "max_results": (1, 10_000)}

    def __init__(self, model, name, **options):
        super().__init__(model, name, **options)
        self.scores, self.regressors = self.heads()
        counts = tuple(self.model.outputs[i].shape[1] for i in self.scores)
        self.layers = ssd_layers(self.config.preprocess.size, self.config.strides, counts, name)
        self.anchors = anchor_centres(self.layers)

    def heads(self) -> tuple[list[int], list[int]]:
        """Output indices of the score and regressor tensors, paired per feature map, finer first."""
        by_count: dict[int, dict[int, int]] = {}
        for i, t in enumerate(self.model.outputs):
            if t.shape is None or len(t.shape) != 3 or t.shape[2] not in (1, REGRESSORS):
                raise ModelFormatError(f"{self.name}: output {t.name!r} has shape {t.shape}; a face detector's are "
                                       f"(1, anchors, 1) scores and (1, anchors, {REGRESSORS}) regressors")
            by_count.setdefault(t.shape[1], {})[t.shape[2]] = i
        if any(len(pair) != 2 for pair in by_count.values()):
            raise ModelFormatError(f"{self.name}: outputs {[t.shape for t in self.model.outputs]} do not pair up as "
                                   f"scores and regressors of the same anchors")
        counts = sorted(by_count, reverse=True)
        return [by_count[n][1] for n in counts], [by_count[n][REGRESSORS] for n in counts]

    def detect(self, image, **options) -> list[Detection]:
        """Faces in an (H, W, 3|4) image, best first; options override the task's for this call."""
        if unknown := sorted(set(options) - set(self.defaults)):
            raise InputError(f"detect: unknown option {', '.join(unknown)} (options: {', '.join(self.defaults)})")
        opts = self.checked({**self.options, **options})
        outputs, transform = self.run(image)
        t0 = time.perf_counter()
        found = self.faces(outputs, transform, opts)
        self.decoded(t0)
        return found

    def faces(self, outputs: Mapping[str, np.ndarray], transform: Transform, opts: dict) -> list[Detection]:
        """The model's outputs (by name) -> the faces, in the pixels of the image `transform` maps to."""
        values = [np.asarray(outputs[t.name], np.float32) for t in self.model.outputs]
        logits = np.concatenate([values[i].reshape(-1) for i in self.scores])
        raw = np.concatenate([values[i].reshape(-1, REGRESSORS) for i in self.regressors])
        boxes, scores, points = self.decode(logits, raw, opts["score_threshold"])
        boxes, scores, points = weighted_nms(boxes, scores, points, opts["iou_threshold"], int(opts["max_results"]))
        corners = transform.to_image(boxes.reshape(-1, 2, 2)).reshape(-1, 4)
        points = transform.to_image(points)
        return [Detection(tuple(map(float, b)), float(s), tuple((float(x), float(y)) for x, y in p))
                for b, s, p in zip(corners, scores, points)]

    def decode(self, logits: np.ndarray, raw: np.ndarray, score_threshold: float):
        """Anchors scoring at least the threshold -> boxes (x0, y0, x1, y1), scores, keypoints (K, 2),
        in model-input pixels."""
        h, w = self.config.preprocess.size
        scores = sigmoid(logits)
        keep = np.flatnonzero(scores >= score_threshold)
        size = np.array([w, h], np.float32)
        centres = self.anchors[keep] * size  # anchors are normalised; regressors in input pixels
        r = raw[keep]
        middle, half = centres + r[:, 0:2], r[:, 2:4] / 2
        boxes = np.concatenate([middle - half, middle + half], axis=1)
        points = centres[:, None, :] + r[:, 4:].reshape(-1, len(KEYPOINTS), 2)
        return boxes, scores[keep], points
