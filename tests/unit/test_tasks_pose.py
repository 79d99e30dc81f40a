"""PoseDetector on the astronaut: MoveNet's keypoints in regions checked by eye on the 512x512
image (a point drawn on each), and PoseNet agreeing with MoveNet on the head and shoulders."""

import numpy as np
import pytest
from PIL import Image

from pyapp.tasks import PoseDetector
from pyapp.tasks.pose import KEYPOINTS

REGIONS = {  # x0, y0, x1, y1
    "nose": (205, 110, 240, 140),
    "right_eye": (190, 88, 215, 112),  # the subject's right: the image's left
    "left_eye": (235, 88, 260, 112),
    "right_shoulder": (70, 230, 140, 300),
    "left_shoulder": (290, 230, 350, 300),
}
MAIN = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder")


@pytest.fixture(scope="module")
def astronaut(assets_dir):
    return np.asarray(Image.open(assets_dir / "images" / "astronaut.png").convert("RGB"))


@pytest.fixture(scope="module")
def detectors(assets_dir):
    return {m: PoseDetector.load(assets_dir / "models" / m / "model.json") for m in ("movenet-lightning", "posenet")}


@pytest.fixture(scope="module")
def poses(detectors, astronaut):
    return {m: task.detect(astronaut) for m, task in detectors.items()}


def test_movenet_finds_head_and_shoulders_where_they_are(poses):
    pose = poses["movenet-lightning"]
    assert [k.name for k in pose.keypoints] == list(KEYPOINTS)
    for name, (x0, y0, x1, y1) in REGIONS.items():
        k = pose[name]
        assert x0 <= k.x <= x1 and y0 <= k.y <= y1 and k.score > 0.3, k


def test_posenet_agrees_with_movenet(poses):
    for name in MAIN:
        a, b = poses["movenet-lightning"][name], poses["posenet"][name]
        assert np.hypot(a.x - b.x, a.y - b.y) < 20, (a, b)
        assert b.score > 0.5


def test_letterbox_is_undone(detectors, astronaut):
    task = detectors["movenet-lightning"]
    tall = np.zeros((800, 512, 3), np.uint8)
    tall[200:712] = astronaut
    pose = task.detect(tall)
    x0, y0, x1, y1 = REGIONS["nose"]
    assert x0 <= pose["nose"].x <= x1 and y0 + 200 <= pose["nose"].y <= y1 + 200
    assert pose.as_dict()["keypoints"][0]["name"] == "nose"
