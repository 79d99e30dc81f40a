"""ImageClassifier (emotion) on a real face crop."""

import numpy as np
import pytest
from PIL import Image

from pyapp.tasks import ImageClassifier
from pyapp.tasks.config import EMOTIONS


@pytest.fixture(scope="module")
def face(assets_dir):
    return np.asarray(Image.open(assets_dir / "images" / "astronaut.png").convert("RGB"))[74:179, 172:277]  # the box FaceDetector gives (test_tasks_face)


def test_the_smiling_astronaut_is_happy(assets_dir, face):
    task = ImageClassifier.load(assets_dir / "models" / "emotion" / "model.json")
    categories = task.classify(face)
    assert sorted(c.label for c in categories) == sorted(EMOTIONS)
    assert categories[0].label == "happy" and categories[0].score > 0.9
    assert sum(c.score for c in categories) == pytest.approx(1, abs=1e-4)
    top = ImageClassifier(task.model, "emotion", top_k=2).classify(face)
    assert [c.label for c in top] == [c.label for c in categories[:2]]
