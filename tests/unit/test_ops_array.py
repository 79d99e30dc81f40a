import numpy as np
import pytest
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info

I32 = np.int32


def infer(op, attrs, *infos):
    return [i.shape for i in OPS[op].infer(OPS[op].parse(attrs), *infos)]


def test_reshape_with_minus_one():
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    assert run_op("Reshape", {}, x, np.array([-1, 6], I32)).shape == (2, 6)
    assert infer("Reshape", {}, Info((1, 3, 4), "float32"), Info((2,), "int32", np.array([-1, 6]))) == [(2, 6)]
    assert infer("Reshape", {}, Info((None, 3, 4), "float32"), Info((2,), "int32", np.array([-1, 6]))) == [(None, 6)]


def test_squeeze_and_expand_dims():
    x = np.zeros((1, 1, 5, 1), np.float32)
    assert run_op("Squeeze", {"squeeze_dims": [1, 3]}, x).shape == (1, 5)
    assert run_op("Squeeze", {"squeeze_dims": []}, x).shape == (5,)
    assert infer("Squeeze", {"squeeze_dims": [-1]}, Info((1, 1, 5, 1), "float32")) == [(1, 1, 5)]
    assert run_op("ExpandDims", {}, np.zeros((2, 3)), np.array(-1, I32)).shape == (2, 3, 1)
    assert infer("ExpandDims", {}, Info((2, 3), "float32"), Info((), "int32", np.array(0))) == [(1, 2, 3)]


def test_concat_pack_unpack():
    a, b = np.zeros((1, 2, 3), np.float32), np.ones((1, 2, 5), np.float32)
    out = run_op("ConcatV2", {"N": 2}, a, b, np.array(-1, I32))
    assert out.shape == (1, 2, 8) and out[0, 0].tolist() == [0, 0, 0, 1, 1, 1, 1, 1]
    assert infer("ConcatV2", {}, Info((1, 2, 3), "float32"), Info((1, 2, None), "float32"), Info((), "int32", np.array(2))) == [(1, 2, None)]
    p = run_op("Pack", {"axis": 1, "N": 2}, [1.0, 2.0], [3.0, 4.0])
    assert p.tolist() == [[1, 3], [2, 4]]
    parts = run_op("Unpack", {"axis": 1, "num": 2}, p)
    assert [q.tolist() for q in parts] == [[1, 2], [3, 4]]
    assert infer("Unpack", {"axis": 1, "num": 2}, Info((2, 2), "float32")) == [(2,), (2,)]


def test_pad():
    x = np.ones((1, 2, 2, 1), np.float32)
    out = run_op("Pad", {}, x, np.array([[0, 0], [1, 0], [0, 2], [0, 0]], I32))
    assert out.shape == (1, 3, 4, 1) and out.sum() == 4 and out[0, 0].sum() == 0 and out[0, 1, :2, 0].tolist() == [1, 1]
    assert run_op("PadV2", {}, x, np.array([[0, 0], [0, 0], [1, 0], [0, 0]], I32), np.array(-1.0, np.float32))[0, 0, 0, 0] == -1


def test_gather_nd_picks_keypoint_cells():
    # movenet: params (1, H, W, C), indices (..., 3) = (batch, y, x)
    params = np.arange(2 * 3 * 4, dtype=np.float32).reshape(1, 2, 3, 4)
    idx = np.array([[0, 1, 2], [0, 0, 1]], I32)
    out = run_op("GatherNd", {}, params, idx)
    assert out.shape == (2, 4) and out[0].tolist() == params[0, 1, 2].tolist() and out[1].tolist() == params[0, 0, 1].tolist()
    assert infer("GatherNd", {}, Info((1, 2, 3, 4), "float32"), Info((17, 3), "int32")) == [(17, 4)]


def test_gather_transpose_shape_identity():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert run_op("GatherV2", {}, x, np.array([2, 0], I32), np.array(1, I32)).tolist() == [[2, 0], [5, 3]]
    assert run_op("Transpose", {}, x, np.array([1, 0], I32)).shape == (3, 2)
    assert run_op("Shape", {}, x).tolist() == [2, 3]
    assert run_op("Identity", {}, x) is x
    with pytest.raises(ValueError, match="batch_dims"):
        OPS["GatherV2"].parse({"batch_dims": 1})
