import warnings

import numpy as np
import pytest
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info

X = np.array([-8.0, -1.0, -0.5, 0.0, 0.5, 3.0, 7.0], np.float32)


@pytest.mark.parametrize(
    "op, want",
    [
        ("Relu", [0, 0, 0, 0, 0.5, 3, 7]),
        ("Relu6", [0, 0, 0, 0, 0.5, 3, 6]),
        ("Sigmoid", 1 / (1 + np.exp(-X.astype(np.float64)))),
        ("Elu", [np.expm1(-8), np.expm1(-1), np.expm1(-0.5), 0, 0.5, 3, 7]),
        ("Abs", [8, 1, 0.5, 0, 0.5, 3, 7]),
        ("Square", X.astype(np.float64) ** 2),
        ("Neg", -X),
    ],
)
def test_unary(op, want):
    out = run_op(op, {}, X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-7)


def test_sqrt_rsqrt():
    np.testing.assert_allclose(run_op("Sqrt", {}, [4.0, 9.0]), [2, 3])
    np.testing.assert_allclose(run_op("Rsqrt", {}, [4.0, 0.25]), [0.5, 2])


def test_sigmoid_saturates_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run_op("Sigmoid", {}, [-200.0, 200.0])
    assert out.tolist() == [0.0, 1.0]


def test_binary_broadcasts_nhwc_by_channel():
    x = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3)
    b = np.array([10, 20, 30], np.float32)
    for op in ("Add", "AddV2"):
        np.testing.assert_array_equal(run_op(op, {}, x, b), x + b)
    np.testing.assert_array_equal(run_op("Mul", {}, x, np.float32(2)), x * 2)
    np.testing.assert_array_equal(run_op("Sub", {}, b, x)[0, 1, 1], [1, 10, 19])
    np.testing.assert_array_equal(run_op("BiasAdd", {"data_format": "NHWC"}, x, b), x + b)


def test_binary_shape_inference_broadcasts():
    infer = OPS["Mul"].infer
    assert infer(None, Info((1, None, 5, 3), "float32"), Info((3,), "float32"))[0].shape == (1, None, 5, 3)
    assert infer(None, Info((4, 1), "float32"), Info((1, 6), "float32"))[0].shape == (4, 6)
    with pytest.raises(ValueError, match="broadcast"):
        infer(None, Info((4, 2), "float32"), Info((3,), "float32"))


def test_division_family():
    np.testing.assert_allclose(run_op("RealDiv", {}, [7.0, -7.0], [2.0, 2.0]), [3.5, -3.5])
    ints = np.array([7, -7, 5], np.int32)
    out = run_op("FloorDiv", {}, ints, np.int32(2))
    assert out.dtype == np.int32 and out.tolist() == [3, -4, 2]  # floor, not truncation
    np.testing.assert_array_equal(run_op("FloorDiv", {}, [7.0, -7.0], [2.0, 2.0]), [3, -4])


def test_int_arithmetic_keeps_int32():
    out = run_op("Sub", {}, np.array([5, 9], np.int32), np.array([1, 2], np.int32))
    assert out.dtype == np.int32 and out.tolist() == [4, 7]
    out = run_op("Mul", {}, np.array([3], np.int32), np.array(48, np.int32))
    assert out.dtype == np.int32 and out.tolist() == [144]


def test_maximum_squared_difference_addn():
    np.testing.assert_array_equal(run_op("Maximum", {}, [1.0, 5.0], [3.0, 2.0]), [3, 5])
    np.testing.assert_array_equal(run_op("SquaredDifference", {}, [1.0, 5.0], [3.0, 2.0]), [4, 9])
    a, b, c = (np.full((2, 2), v, np.float32) for v in (1, 2, 4))
    np.testing.assert_array_equal(run_op("AddN", {"N": 3}, a, b, c), np.full((2, 2), 7))
    assert not np.shares_memory(run_op("AddN", {"N": 1}, a), a)


def test_cast_truncates_toward_zero():
    out = run_op("Cast", {"DstT": "int32", "SrcT": "float32"}, [1.7, -1.7, 2.0])
    assert out.dtype == np.int32 and out.tolist() == [1, -1, 2]
    out = run_op("Cast", {"DstT": "float32"}, np.array([3, 4], np.int32))
    assert out.dtype == np.float32 and out.tolist() == [3.0, 4.0]


def test_leaky_relu_and_prelu():
    np.testing.assert_allclose(run_op("LeakyRelu", {"alpha": 0.1}, [-2.0, 3.0]), [-0.2, 3.0])
    x = np.array([[-2.0, -2.0], [1.0, 1.0]], np.float32)
    np.testing.assert_allclose(run_op("Prelu", {}, x, [0.5, 0.25]), [[-1.0, -0.5], [1.0, 1.0]])
