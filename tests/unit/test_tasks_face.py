"""FaceDetector on the real BlazeFace model and real images.

The astronaut's face, checked by eye on the 512x512 image (box drawn over it): from the brows'
top to the chin and cheek to cheek, (175, 75) - (275, 180); eyes near (203, 102) and (248, 103)."""

import numpy as np
import pytest
from PIL import Image

from pyapp.errors import InputError
from pyapp.tasks import FaceDetector
from pyapp.tasks.preprocess import Transform
from tools.golden import ensure, golden_dir

FACE = np.array([175, 75, 275, 180])
TOLERANCE = 12  # px


@pytest.fixture(scope="module")
def detector(assets_dir):
    return FaceDetector.load(assets_dir / "models" / "blazeface" / "model.json")


@pytest.fixture(scope="module")
def astronaut(assets_dir):
    return np.asarray(Image.open(assets_dir / "images" / "astronaut.png").convert("RGB"))


def inside(point, box):
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def test_the_astronaut_has_one_face_where_it_is(detector, astronaut):
    (face,) = detector.detect(astronaut)
    assert face.score > 0.8
    assert np.abs(np.array(face.box) - FACE).max() <= TOLERANCE, face.box
    right_eye, left_eye = face.keypoints[:2]  # the subject's right eye is on the image's left
    assert inside(right_eye, face.box) and inside(left_eye, face.box)
    assert right_eye[0] < left_eye[0] and abs(right_eye[1] - left_eye[1]) < 10
    assert np.hypot(*np.subtract(right_eye, (203, 102))) < 8 and np.hypot(*np.subtract(left_eye, (248, 103))) < 8
    assert set(detector.timings) == {"preprocess", "model", "decode"}


@pytest.mark.parametrize("resize", ["letterbox", "crop", "stretch"])
def test_results_are_in_the_images_pixels_whatever_the_resize(detector, astronaut, resize):
    wide = np.zeros((512, 1024, 3), np.uint8)
    wide[:, 300:812] = astronaut  # letterboxing pads it top and bottom; the crop cuts its sides
    task = FaceDetector(detector.model, "blazeface", resize=resize)
    (face,) = task.detect(wide)
    tolerance = TOLERANCE if resize != "stretch" else 30  # stretched, the face is squashed: its box less tight
    assert np.abs(np.array(face.box) - (FACE + [300, 0, 300, 0])).max() <= tolerance, face.box
    assert inside(face.keypoints[0], face.box) and inside(face.keypoints[1], face.box)


def test_threshold_and_results_options(detector, astronaut):
    assert detector.detect(astronaut, score_threshold=0.99) == []
    many = detector.detect(astronaut, score_threshold=0.01, max_results=3)
    assert len(many) == 3 and many[0].score >= many[1].score >= many[2].score
    with pytest.raises(InputError, match="unknown option min_score"):
        detector.detect(astronaut, min_score=0.5)
    with pytest.raises(InputError, match=r"max_results=0 must be a number within \[1, 10000\]"):
        detector.detect(astronaut, max_results=0)
    with pytest.raises(InputError, match="score_threshold=None"):
        detector.detect(astronaut, score_threshold=None)


def test_decoding_tfjs_outputs_finds_the_same_face(detector, astronaut, assets_dir):
    """TF.js 4.22's outputs for the golden input (the astronaut resized to 256x256 by Pillow) decoded:
    the same face as pyapp's own run of the model on its own preprocessing."""
    entry = ensure(assets_dir)["models"]["blazeface"]
    outputs = {name: np.load(golden_dir(assets_dir) / path)
               for name, path in zip(entry["outputs"], entry["cases"]["astronaut"]["outputs"])}
    (tfjs,) = detector.faces(outputs, Transform((0.5, 0.5), (0.0, 0.0), (512, 512)), detector.options)
    (ours,) = detector.detect(astronaut)
    assert np.abs(np.array(tfjs.box) - FACE).max() <= TOLERANCE, tfjs.box
    assert np.abs(np.array(tfjs.box) - ours.box).max() <= 3 and np.abs(np.subtract(tfjs.keypoints, ours.keypoints)).max() <= 3


def test_camera_face(detector, assets_dir):
    camera = np.asarray(Image.open(assets_dir / "images" / "camera.png").convert("RGB"))
    (face,) = detector.detect(camera)  # the man filming, in profile: (183, 126) - (256, 198) by eye
    assert np.abs(np.array(face.box) - [183, 126, 256, 198]).max() <= TOLERANCE, face.box


def test_as_dict_is_plain(detector, astronaut):
    d = detector.detect(astronaut)[0].as_dict()
    assert [k["name"] for k in d["keypoints"]] == ["right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"]
    assert isinstance(d["box"][0], float) and isinstance(d["score"], float)
