"""Non-maximum suppression over boxes (x0, y0, x1, y1), weighted as MediaPipe blends: each kept
detection is the score-weighted mean of the cluster it suppresses."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box with each of (N, 4) boxes."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = lambda b: np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)
    union = area(box) + area(boxes) - inter
    return np.divide(inter, union, out=np.zeros_like(inter, dtype=np.float64), where=union > 0)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, points: np.ndarray, iou_threshold: float,
                 max_results: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """boxes (N, 4), scores (N,), points (N, K, 2) -> the same for what is kept, best first.
    The best remaining detection and every remaining one overlapping it by more than iou_threshold
    form a cluster; its box and points are their score-weighted mean, its score the best one's."""
    if not 0.0 <= iou_threshold < 1.0:
        raise InputError(f"iou_threshold={iou_threshold!r}: must be within [0, 1)")
    order = np.argsort(-scores, kind="stable")
    boxes, scores, points = boxes[order].astype(np.float64), scores[order], points[order].astype(np.float64)
    kept_boxes, kept_scores, kept_points = [], [], []
    remaining = np.arange(len(scores))
    while remaining.size and len(kept_scores) < max_results:
        overlap = iou(boxes[remaining[0]], boxes[remaining])
        overlap[0] = 1.0  # the best is in its own cluster, even as an empty box
        cluster = remaining[overlap > iou_threshold]
        weights = scores[cluster] / scores[cluster].sum()
        kept_boxes.append(weights @ boxes[cluster])
        kept_points.append(np.tensordot(weights, points[cluster], axes=1))
        kept_scores.append(scores[remaining[0]])
        remaining = remaining[overlap <= iou_threshold]
    k = len(kept_scores)
    return (np.array(kept_boxes).reshape(k, 4), np.array(kept_scores, np.float64),
            np.array(kept_points).reshape(k, *points.shape[1:]))

