"""PoseDetector: one person's 17 COCO keypoints in the image's pixels, from MoveNet single-pose
(keypoints regressed directly) or PoseNet (heatmaps + offsets, the single best pose)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..effects.segment import sigmoid
from ..errors import ModelFormatError
from .preprocess import Transform
from .task import Task

KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle")
SKELETON = ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12),
            (11, 12), (11, 13), (13, 15), (12, 14), (14, 16))  # keypoint index pairs to draw


@dataclass(frozen=True)
class Keypoint:
    name: str
    x: float  # image pixels
    y: float
    score: float


@dataclass(frozen=True)
class Pose:
    keypoints: tuple[Keypoint, ...]

    @property
    def score(self) -> float:
        return float(np.mean([k.score for k in self.keypoints]))

    def __getitem__(self, name: str) -> Keypoint:
        return self.keypoints[KEYPOINTS.index(name)]

    def as_dict(self) -> dict:
        return {"score": self.score, "keypoints": [vars(k) for k in self.keypoints]}


def movenet_points(outputs: list[np.ndarray], size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(1, 1, 17, 3) y, x (normalised), score -> (17, 2) x, y in input pixels, (17,) scores."""
    (out,) = outputs
    y, x, score = np.asarray(out, np.float64).reshape(len(KEYPOINTS), 3).T
    return np.stack([x * size[1], y * size[0]], axis=1), score


def posenet_points(outputs: list[np.ndarray], size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (1, h, w, 17, logits) and offsets (1, h, w, 34: the 17 y then the 17 x, in input
    pixels): each keypoint at its heatmap's maximum, moved by the offset there."""
    n = len(KEYPOINTS)
    heatmap = next(o for o in outputs if o.shape[-1] == n)[0]
    offsets = next(o for o in outputs if o.shape[-1] == 2 * n)[0]
    rows, cols = heatmap.shape[:2]
    stride = (size[0] - 1) / (rows - 1)  # 385 -> 25: 16; the grid's corners sit on the input's
    flat = heatmap.reshape(-1, n).argmax(axis=0)
    iy, ix = np.unravel_index(flat, (rows, cols))
    k = np.arange(n)
    y = iy * stride + offsets[iy, ix, k]
    x = ix * stride + offsets[iy, ix, n + k]
    return np.stack([x, y], axis=1).astype(np.float64), sigmoid(heatmap[iy, ix, k]).astype(np.float64)


HEADS = {"movenet": movenet_points, "posenet": posenet_points}


class PoseDetector(Task):
    kind = "pose"
    verb = "detect"

    def __init__(self, model, name, **options):
        super().__init__(model, name, **options)
        shapes = [t.shape for t in self.model.outputs]
        channels = sorted(s[-1] for s in shapes if s)
        fits = {"movenet": shapes == [(1, 1, len(KEYPOINTS), 3)], "posenet": {len(KEYPOINTS), 2 * len(KEYPOINTS)} <= set(channels)}
        if not fits[self.config.head]:
            raise ModelFormatError(f"{name}: outputs {shapes} are not a {self.config.head} pose head")

    def detect(self, image) -> Pose:
        outputs, transform = self.run(image)
        t0 = time.perf_counter()
        pose = self.pose(outputs, transform)
        self.decoded(t0)
        return pose

    def pose(self, outputs: Mapping[str, np.ndarray], transform: Transform) -> Pose:
        """The model's outputs (by name) -> the pose, in the pixels of the image `transform` maps to."""
        values = [np.asarray(outputs[t.name], np.float32) for t in self.model.outputs]
        points, scores = HEADS[self.config.head](values, self.config.preprocess.size)
        xy = transform.to_image(points)
        return Pose(tuple(Keypoint(n, float(x), float(y), float(s)) for n, (x, y), s in zip(KEYPOINTS, xy, scores)))
