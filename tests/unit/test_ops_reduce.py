import numpy as np
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def test_reductions_with_and_without_keep_dims():
    out = run_op("Mean", {"keep_dims": False}, X, np.array([1, 2], np.int32))
    assert out.dtype == np.float32 and out.tolist() == [5.5, 17.5]
    out = run_op("Sum", {"keep_dims": True}, X, np.array([-1], np.int32))
    assert out.shape == (2, 3, 1) and out[0, 0, 0] == 6
    assert run_op("Max", {}, X, np.array(0, np.int32)).shape == (3, 4)
    assert run_op("Min", {}, X, np.array([0, 1, 2], np.int32)).item() == 0


def test_reduction_shape_inference():
    a = OPS["Mean"].parse({"keep_dims": True})
    assert OPS["Mean"].infer(a, Info((None, 7, 7, 64), "float32"), Info((2,), "int32", np.array([1, 2])))[0].shape == (None, 1, 1, 64)
    a = OPS["Mean"].parse({"keep_dims": False})
    assert OPS["Mean"].infer(a, Info((None, 7, 7, 64), "float32"), Info((2,), "int32", np.array([1, 2])))[0].shape == (None, 64)


def test_argmax_returns_output_type():
    out = run_op("ArgMax", {"output_type": "int32"}, [[1.0, 9.0, 3.0], [7.0, 0.0, 7.5]], np.array(-1, np.int32))
    assert out.dtype == np.int32 and out.tolist() == [1, 2]
    a = OPS["ArgMax"].parse({"output_type": "int32"})
    assert OPS["ArgMax"].infer(a, Info((1, 2304), "float32"), Info((), "int32", np.array(1)))[0] == Info((1,), "int32")


def test_softmax_is_stable_and_normalised():
    out = run_op("Softmax", {}, [[1000.0, 1000.0], [0.0, np.log(3.0)]])
    np.testing.assert_allclose(out, [[0.5, 0.5], [0.25, 0.75]], rtol=1e-6)


def test_mean_accumulates_like_tfjs_in_float64():
    x = (np.random.default_rng(0).random((1, 128, 128, 16)) * 100 + 1000).astype(np.float32)
    out = run_op("Mean", {"keep_dims": False}, x, np.array([1, 2], np.int32))
    assert out.dtype == np.float32 and (out == x.mean(axis=(1, 2), dtype=np.float64).astype(np.float32)).all()
