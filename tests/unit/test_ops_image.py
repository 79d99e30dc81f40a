import numpy as np
import pytest
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info

IMG = np.array([[1, 2], [3, 4]], np.float32).reshape(1, 2, 2, 1)


def resize(op, x, size, align_corners=False, half_pixel_centers=False):
    attrs = {"align_corners": align_corners, "half_pixel_centers": half_pixel_centers}
    return run_op(op, attrs, x, np.array(size, np.int32))[0, :, :, 0]


def test_bilinear_half_pixel_centers_matches_tf2_resize():
    # tf.image.resize([[1, 2], [3, 4]], [4, 4]) (TF2 default: half pixel centers)
    want = [[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5], [3.0, 3.25, 3.75, 4.0]]
    np.testing.assert_allclose(resize("ResizeBilinear", IMG, (4, 4), half_pixel_centers=True), want)


def test_bilinear_align_corners():
    out = resize("ResizeBilinear", IMG, (3, 4), align_corners=True)
    np.testing.assert_allclose(out[0], [1, 4 / 3, 5 / 3, 2], rtol=1e-6)
    np.testing.assert_allclose(out[:, 0], [1, 2, 3])


def test_bilinear_legacy_mapping_clamps_at_the_edge():
    # TF1 resize_bilinear: source = out * in / out_size, no half-pixel shift
    np.testing.assert_allclose(resize("ResizeBilinear", IMG, (4, 4))[0], [1, 1.5, 2, 2])
    np.testing.assert_allclose(resize("ResizeBilinear", IMG, (1, 1)), [[1]])


def test_bilinear_downscale_half_pixel():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    # 4 -> 2: sources 0.5 and 2.5 on both axes: averages of 2x2 blocks
    np.testing.assert_allclose(resize("ResizeBilinear", x, (2, 2), half_pixel_centers=True), [[2.5, 4.5], [10.5, 12.5]])


def test_nearest():
    x = np.arange(3, dtype=np.float32).reshape(1, 1, 3, 1)
    assert resize("ResizeNearestNeighbor", x, (1, 6), half_pixel_centers=True)[0].tolist() == [0, 0, 1, 1, 2, 2]
    assert resize("ResizeNearestNeighbor", x, (1, 5), align_corners=True)[0].tolist() == [0, 1, 1, 2, 2]


def test_resize_rejects_both_modes_and_infers_shape():
    with pytest.raises(ValueError, match="both"):
        OPS["ResizeBilinear"].parse({"align_corners": True, "half_pixel_centers": True})
    a = OPS["ResizeBilinear"].parse({"half_pixel_centers": True})
    out = OPS["ResizeBilinear"].infer(a, Info((1, 16, 16, 8), "float32"), Info((2,), "int32", np.array([32, 24])))
    assert out[0].shape == (1, 32, 24, 8)
