import io

import numpy as np
import pytest
from PIL import Image

from pyapp.analysis import (InputOptions, describe_output, display_range, image_shape, latency, max_differences,
                            mask_rgba, model_input, npy_bytes, to_rgba)
from pyapp.errors import InputError
from pyapp.model import TensorSpec
from pyapp.tasks.preprocess import Preprocess, prepare


@pytest.fixture(scope="module")
def camera(assets_dir):
    return np.asarray(Image.open(assets_dir / "images/camera.png").convert("RGBA"))


def test_default_input_is_the_stretched_image_in_unit_range(camera):
    x = model_input(camera, TensorSpec("x", "float32", (1, 64, 48, 3)), InputOptions())
    want = prepare(camera, Preprocess((64, 48), "stretch", "unit"))[0]
    assert x.shape == (1, 64, 48, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x, want)


def test_toggles(camera):
    rgb = np.zeros((20, 30, 4), np.uint8)
    rgb[..., 0], rgb[:, :10, 1] = 255, 255  # red, the left third also green
    spec = TensorSpec("x", "float32", (1, 20, 30, 3))
    plain = model_input(rgb, spec, InputOptions())
    assert plain[0, 0, 0].tolist() == [1, 1, 0] and plain[0, 0, -1].tolist() == [1, 0, 0]
    assert model_input(rgb, spec, InputOptions(flip=True))[0, 0, -1].tolist() == [1, 1, 0]
    assert model_input(rgb, spec, InputOptions(channel_order="bgr"))[0, 0, -1].tolist() == [0, 0, 1]
    assert model_input(rgb, spec, InputOptions(value_range="signed"))[0, 0, -1].tolist() == [1, -1, -1]
    assert model_input(rgb, spec, InputOptions(value_range="byte"))[0, 0, -1].tolist() == [255, 0, 0]
    ints = model_input(rgb, TensorSpec("x", "int32", (1, 20, 30, 3)), InputOptions(value_range="int"))
    assert ints.dtype == np.int32 and ints[0, 0, -1].tolist() == [255, 0, 0]
    gray = model_input(rgb, spec, InputOptions(grayscale=True))[0, 0, -1]
    assert gray.tolist() == pytest.approx([0.2989] * 3, abs=1e-6)
    one = model_input(rgb, TensorSpec("x", "float32", (1, 20, 30, 1)), InputOptions())  # one channel: gray
    assert one.shape == (1, 20, 30, 1) and one[0, 0, -1, 0] == pytest.approx(0.2989, abs=1e-6)
    letterbox = model_input(camera, TensorSpec("x", "float32", (1, 32, 64, 3)), InputOptions(resize="letterbox"))
    assert letterbox[0, :, :16].max() == 0 and letterbox[0, :, 16:48].max() > 0  # black bars left and right


def test_open_sizes_take_the_images_and_non_images_are_refused(camera):
    assert model_input(camera, TensorSpec("x", "float32", (None, None, None, 3)), InputOptions()).shape == (1, 512, 512, 3)
    with pytest.raises(InputError, match=r"input 'x' of shape \[1, 8, 8, 5\] is not an image"):
        model_input(camera, TensorSpec("x", "float32", (1, 8, 8, 5)), InputOptions())
    with pytest.raises(InputError, match="resize='zoom': choose one of stretch, letterbox, crop"):
        InputOptions.of({"resize": "zoom"})
    with pytest.raises(InputError, match="unknown input option 'mirror'"):
        InputOptions.of({"mirror": True})


def test_outputs_described_as_what_they_are():
    mask = np.linspace(0, 1, 256 * 256, dtype=np.float32).reshape(1, 256, 256, 1)
    image = describe_output("mask", mask)
    assert image["kind"] == "image" and image["min"] == 0 and image["max"] == 1 and sum(image["histogram"]["counts"]) == mask.size
    scores = np.array([[0.1, 0.5, 0.05, 0.3, 0.05]], np.float32)
    vector = describe_output("scores", scores, top_k=3)
    assert vector["kind"] == "vector" and [t["index"] for t in vector["top"]] == [1, 3, 0]
    boxes = describe_output("boxes", np.zeros((1, 896, 16), np.float32))
    assert boxes["kind"] == "tensor" and boxes["shape"] == [1, 896, 16]
    assert describe_output("x", np.array([1.0, np.nan], np.float32))["non_finite"] == 1
    assert image_shape((1, 4, 4, 3)) is None and image_shape((64, 64, 4)) == (64, 64, 4)


def test_image_outputs_as_rgba():
    rows = np.array([-1.0, 0.0, 1.0, 3.0] * 2, np.float32)  # one value per row
    out = np.repeat(rows[None, :, None, None], 8, axis=2)
    lo, hi = display_range(describe_output("o", out))
    assert (lo, hi) == (-1.0, 3.0)
    rgba = to_rgba(out, lo, hi)
    assert rgba.shape == (8, 8, 4) and rgba[0, 0].tolist() == [0, 0, 0, 255] and rgba[3, 0].tolist() == [255, 255, 255, 255]
    assert rgba[1, 5].tolist() == [64, 64, 64, 255]
    assert display_range(describe_output("p", np.full((1, 8, 8, 1), 0.5, np.float32))) == (0.0, 1.0)


def test_latency_differences_and_npy():
    stats = latency([10.0] * 19 + [100.0])
    assert stats["count"] == 20 and stats["p50"] == 10 and stats["p95"] == pytest.approx(14.5)
    assert latency([]) == {"count": 0}
    a = {"y": np.array([1.0, 2.0])}
    assert max_differences({"cpu": a, "webgl": {"y": np.array([1.0, 2.5])}}) == {"cpu": {"y": 0.0}, "webgl": {"y": 0.5}}
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(np.load(io.BytesIO(npy_bytes(x))), x)


def test_a_mask_overlay_is_one_colour_with_the_alpha_scaled():
    alpha = np.array([[0.0, 0.5], [1.0, 2.0]], np.float32)
    rgba = mask_rgba(alpha, (1, 2, 3), opacity=0.5)
    assert rgba.shape == (2, 2, 4) and rgba.dtype == np.uint8
    assert (rgba[..., :3] == [1, 2, 3]).all() and rgba[..., 3].tolist() == [[0, 64], [128, 128]]
