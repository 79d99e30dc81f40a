"""pyapp.tasks.preprocess: resize modes, value ranges, and the way back to the image's pixels."""

import numpy as np
import pytest

from pyapp.errors import InputError
from pyapp.tasks.preprocess import Preprocess, as_rgb, prepare

RNG = np.random.default_rng(5)
IMAGE = RNG.integers(0, 256, (100, 200, 3), dtype=np.uint8)  # landscape, 1:2


def test_letterbox_keeps_the_aspect_ratio_between_black_bars():
    batch, t = prepare(IMAGE, Preprocess((256, 256), "letterbox", "signed"))
    assert batch.shape == (1, 256, 256, 3) and batch.dtype == np.float32
    assert (batch[0, :64] == -1).all() and (batch[0, 192:] == -1).all()  # 128 rows of image, centred
    assert t.scale == (1.28, 1.28) and t.offset == (0.0, 64.0)
    np.testing.assert_allclose(t.to_image(np.array([[0, 64], [256, 192], [128, 128]])), [[0, 0], [200, 100], [100, 50]])


def test_crop_takes_the_centre_and_maps_back_into_it():
    batch, t = prepare(IMAGE, Preprocess((64, 64), "crop", "unit"))
    assert batch.shape == (1, 64, 64, 3) and 0 <= batch.min() and batch.max() <= 1
    np.testing.assert_allclose(t.to_image(np.array([[0, 0], [64, 64]])), [[50, 0], [150, 100]])
    whole, _ = prepare(IMAGE[:, 50:150], Preprocess((64, 64), "stretch", "unit"))
    np.testing.assert_array_equal(batch, whole)


def test_stretch_scales_each_axis():
    _, t = prepare(IMAGE, Preprocess((50, 50), "stretch", "unit"))
    np.testing.assert_allclose(t.to_image(np.array([[50, 50], [25, 10]])), [[200, 100], [100, 20]])


def test_unwarp_returns_a_model_map_to_the_image():
    plane = np.zeros((256, 256), np.float32)
    plane[64:192] = 1  # exactly the letterboxed image
    _, t = prepare(IMAGE, Preprocess((256, 256), "letterbox", "unit"))
    np.testing.assert_allclose(t.unwarp(plane), np.ones((100, 200)))
    _, t = prepare(IMAGE, Preprocess((64, 64), "crop", "unit"))
    back = t.unwarp(np.ones((64, 64), np.float32))
    assert back.shape == (100, 200) and (back[:, 50:150] == 1).all() and (back[:, :50] == 0).all() and (back[:, 150:] == 0).all()


def test_value_ranges():
    white = np.full((8, 8, 4), 255, np.uint8)  # RGBA: alpha dropped
    assert prepare(white, Preprocess((4, 4), "stretch", "signed"))[0].max() == pytest.approx(1)
    gray, _ = prepare(white, Preprocess((4, 4), "stretch", "gray_signed"))
    assert gray.shape == (1, 4, 4, 1) and gray.max() == pytest.approx(1, abs=1e-3)
    ints, _ = prepare(white, Preprocess((4, 4), "stretch", "uint8"))
    assert ints.dtype == np.int32 and (ints == 255).all()
    np.testing.assert_array_equal(as_rgb(np.ones((2, 2, 3), np.float32)), np.full((2, 2, 3), 255))  # floats are [0, 1]


@pytest.mark.parametrize("image, words", [
    (np.zeros((8, 8), np.uint8), r"expected an \(height, width, 3 or 4\) array, got shape \(8, 8\)"),
    (np.zeros((8, 8, 2), np.uint8), "got shape"),
    (np.full((8, 8, 3), 255.0), r"float pixels must be in \[0, 1\]"),
    (np.zeros((8, 8, 3), bool), "uint8 or float"),
])
def test_bad_images_are_named(image, words):
    with pytest.raises(InputError, match=words):
        as_rgb(image)


@pytest.mark.parametrize("pre, words", [(Preprocess((8, 8), "fill", "unit"), "resize='fill'"),
                                        (Preprocess((8, 8), "crop", "bgr"), "value_range='bgr'"),
                                        (Preprocess((8,), "crop", "unit"), "input_size")])
def test_bad_settings_are_named(pre, words):
    with pytest.raises(InputError, match=words):
        pre.check()
