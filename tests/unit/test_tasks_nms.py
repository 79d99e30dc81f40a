"""pyapp.tasks.nms: IoU and MediaPipe-style weighted NMS on boxes with hand-computed overlaps."""

import numpy as np
import pytest

from pyapp.errors import InputError
from pyapp.tasks.nms import iou, weighted_nms

A = [0, 0, 10, 10]
B = [1, 0, 11, 10]  # IoU with A: 90 / 110
C = [20, 20, 30, 30]  # apart
D = [5, 0, 15, 10]  # IoU with A: 50 / 150 = 1/3


def arrays(boxes, scores, points):
    return np.array(boxes, np.float64), np.array(scores, np.float64), np.array(points, np.float64).reshape(len(boxes), -1, 2)


def test_iou_of_known_overlaps():
    got = iou(np.array(A, float), np.array([A, B, C, D, [1, 1, 3, 3]], float))
    np.testing.assert_allclose(got, [1, 90 / 110, 0, 1 / 3, 4 / 100])
    assert iou(np.array([0, 0, 0, 0.0]), np.array([[0, 0, 0, 0.0]]))[0] == 0  # empty boxes: no division by zero


def test_overlapping_boxes_blend_by_score_and_keep_the_best_score():
    boxes, scores, points = weighted_nms(*arrays([B, C, A], [0.6, 0.8, 0.9], [[5, 5], [25, 25], [0, 0]]), 0.3, 10)
    # cluster {A 0.9, B 0.6}: weights 0.6 and 0.4 -> x0 = 0.4, x1 = 0.6 * 10 + 0.4 * 11 = 10.4; C alone
    np.testing.assert_allclose(boxes, [[0.4, 0, 10.4, 10], C])
    np.testing.assert_allclose(scores, [0.9, 0.8])
    np.testing.assert_allclose(points[:, 0], [[2, 2], [25, 25]])


def test_an_overlap_at_the_threshold_is_not_suppressed():
    args = arrays([A, D], [0.9, 0.5], [[0, 0], [10, 10]])
    assert len(weighted_nms(*args, 1 / 3, 10)[1]) == 2  # IoU exactly 1/3: kept apart
    boxes, scores, points = weighted_nms(*args, 0.3, 10)
    # weights 0.9 / 1.4 and 0.5 / 1.4: x0 = 5 * 0.5 / 1.4, keypoint 10 * 0.5 / 1.4
    np.testing.assert_allclose(boxes, [[2.5 / 1.4, 0, 10 + 2.5 / 1.4, 10]])
    np.testing.assert_allclose(points, [[[5 / 1.4, 5 / 1.4]]])


def test_max_results_and_empty_input():
    boxes, scores, _ = weighted_nms(*arrays([A, C, [40, 40, 50, 50]], [0.7, 0.9, 0.8], [[0, 0]] * 3), 0.3, 2)
    np.testing.assert_allclose(scores, [0.9, 0.8])
    np.testing.assert_allclose(boxes, [C, [40, 40, 50, 50]])
    boxes, scores, points = weighted_nms(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 6, 2)), 0.3, 10)
    assert boxes.shape == (0, 4) and scores.shape == (0,) and points.shape == (0, 6, 2)


@pytest.mark.parametrize("threshold", [1.0, -0.1])
def test_a_threshold_outside_0_1_is_refused(threshold):
    with pytest.raises(InputError, match="iou_threshold"):
        weighted_nms(*arrays([A], [0.9], [[0, 0]]), threshold, 10)
