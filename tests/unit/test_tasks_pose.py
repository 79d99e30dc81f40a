"""PoseDetector on the astronaut: MoveNet's keypoints in regions checked by eye on the 512x512
image (a point drawn on each), and PoseNet agreeing with MoveNet on the head and shoulders."""

import numpy as np
import pytest
from PIL import Image

from pyapp.tasks import PoseDetector
from pyapp.tasks.pose import KEYPOINTS
from pyapp.tasks.preprocess import Transform
from tools.golden import ensure, golden_dir

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


@pytest.mark.parametrize("model", ["movenet-lightning", "posenet"])
def test_decoding_tfjs_outputs_gives_the_same_pose(detectors, poses, assets_dir, model):
    """TF.js 4.22's outputs for the golden input (the astronaut resized by Pillow to the model's
    square input) decoded: the head and shoulders within 6 px of pyapp's own run."""
    entry = ensure(assets_dir)["models"][model]
    outputs = {name: np.load(golden_dir(assets_dir) / path)
               for name, path in zip(entry["outputs"], entry["cases"]["astronaut"]["outputs"])}
    size = entry["input"][0]["shape"][1]
    tfjs = detectors[model].pose(outputs, Transform((size / 512, size / 512), (0.0, 0.0), (512, 512)))
    for name in MAIN:
        a, b = tfjs[name], poses[model][name]
        assert np.hypot(a.x - b.x, a.y - b.y) < 6, (a, b)
