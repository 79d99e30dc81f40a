"""ImageSegmenter (selfie, meet) on the astronaut: the mask at image size, as the demo computes it."""

import numpy as np
import pytest
from PIL import Image

from pyapp.effects import model_input, probability
from pyapp.effects.segment import resize
from pyapp.tasks import ImageSegmenter


@pytest.fixture(scope="module")
def astronaut(assets_dir):
    return np.asarray(Image.open(assets_dir / "images" / "astronaut.png").convert("RGB"))


@pytest.fixture(scope="module", params=["selfie", "meet"])
def segmenter(request, assets_dir):
    return ImageSegmenter.load(assets_dir / "models" / request.param / "model.json")


def test_the_mask_is_the_demos_at_image_size(segmenter, astronaut):
    result = segmenter.segment(astronaut)
    assert result.probability.shape == result.mask.shape == result.alpha.shape == (512, 512)
    want = resize(probability(segmenter.name, segmenter.model.predict(model_input(segmenter.name, astronaut))), 512, 512)
    np.testing.assert_allclose(result.probability, want, atol=1e-5)
    assert result.mask[100:160, 190:260].all()  # her face
    assert not result.mask[20:60, 440:500].any()  # the backdrop, top right
    assert 0.2 < result.mask.mean() < 0.8


def test_threshold_and_smoothing(segmenter, astronaut):
    task = ImageSegmenter(segmenter.model, segmenter.name, threshold=0.9, smoothing=0.5)
    first = task.segment(astronaut)
    assert (first.mask == (first.probability >= 0.9)).all()
    black = task.segment(np.zeros_like(astronaut))  # EMA: half the previous frame's probability
    alone = ImageSegmenter(segmenter.model, segmenter.name).segment(np.zeros_like(astronaut)).probability
    np.testing.assert_allclose(black.probability, 0.5 * first.probability + 0.5 * alone, atol=1e-5)
