import numpy as np
import pytest
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info


def pool_attrs(k, s, padding):
    return {"ksize": [1, k, k, 1], "strides": [1, s, s, 1], "padding": padding, "data_format": "NHWC"}


X3 = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)  # [[0 1 2] [3 4 5] [6 7 8]]


def test_avg_pool_same_divides_by_real_pixels():
    # 2x2 windows, stride 2, one pad row/column after: the edge windows hold 2 and 1 real pixels
    out = run_op("AvgPool", pool_attrs(2, 2, "SAME"), X3)
    assert out[0, :, :, 0].tolist() == [[2.0, 3.5], [6.5, 8.0]]


def test_max_pool_same_ignores_padding():
    assert run_op("MaxPool", pool_attrs(2, 2, "SAME"), X3 - 100)[0, :, :, 0].tolist() == [[-96, -95], [-93, -92]]
    assert run_op("MaxPool", pool_attrs(3, 2, "SAME"), X3)[0, :, :, 0].tolist() == [[4, 5], [7, 8]]


def test_valid_tiles_and_overlapping_windows_agree_with_definition():
    x = np.random.default_rng(1).standard_normal((2, 8, 12, 3)).astype(np.float32)
    tiles = x.reshape(2, 2, 4, 3, 4, 3)
    np.testing.assert_allclose(run_op("AvgPool", pool_attrs(4, 4, "VALID"), x), tiles.mean(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_array_equal(run_op("MaxPool", pool_attrs(4, 4, "VALID"), x), tiles.max(axis=(2, 4)))
    out = run_op("AvgPool", pool_attrs(3, 2, "VALID"), x)  # overlapping windows
    assert out.shape == (2, 3, 5, 3)
    np.testing.assert_allclose(out[1, 2, 4], x[1, 4:7, 8:11].mean(axis=(0, 1)), rtol=1e-5)


def test_global_pool_of_selfie_shape():
    x = np.random.default_rng(2).random((1, 9, 16, 8)).astype(np.float32)
    out = run_op("AvgPool", pool_attrs(1, 1, "VALID") | {"ksize": [1, 9, 16, 1], "strides": [1, 9, 16, 1]}, x)
    np.testing.assert_allclose(out[0, 0, 0], x[0].mean(axis=(0, 1)), rtol=1e-5)


@pytest.mark.parametrize("op", ["AvgPool", "MaxPool"])
def test_pool_shape_inference(op):
    a = OPS[op].parse(pool_attrs(3, 2, "SAME"))
    assert OPS[op].infer(a, Info((None, 7, 8, 5), "float32"))[0].shape == (None, 4, 4, 5)


def test_avg_pool_accumulates_like_tfjs_in_float64():
    x = (np.random.default_rng(0).random((1, 128, 128, 16)) * 100 + 1000).astype(np.float32)
    want = x.mean(axis=(1, 2), dtype=np.float64).astype(np.float32)  # a float32 sum misses this for every channel
    out = run_op("AvgPool", pool_attrs(128, 128, "VALID"), x)
    assert out.dtype == np.float32 and (out[0, 0, 0] == want[0]).all()
