import numpy as np
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info

I32 = np.int32
T = np.array([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]], [[5, 5, 5], [6, 6, 6]]], np.float32)  # TF's doc tensor


def ints(*v):
    return np.array(v, I32)


def test_slice_matches_tf_docs():
    assert run_op("Slice", {}, T, ints(1, 0, 0), ints(1, 1, 3)).tolist() == [[[3, 3, 3]]]
    assert run_op("Slice", {}, T, ints(1, 0, 0), ints(1, 2, 3)).tolist() == [[[3, 3, 3], [4, 4, 4]]]
    assert run_op("Slice", {}, T, ints(1, 0, 0), ints(2, 1, 3)).tolist() == [[[3, 3, 3]], [[5, 5, 5]]]
    assert run_op("Slice", {}, T, ints(1, 1, 0), ints(-1, -1, 2)).tolist() == [[[4, 4]], [[6, 6]]]


def test_strided_slice_matches_tf_docs():
    ones = ints(1, 1, 1)
    assert run_op("StridedSlice", {}, T, ints(1, 0, 0), ints(2, 1, 3), ones).tolist() == [[[3, 3, 3]]]
    assert run_op("StridedSlice", {}, T, ints(1, 0, 0), ints(2, 2, 3), ones).tolist() == [[[3, 3, 3], [4, 4, 4]]]
    assert run_op("StridedSlice", {}, T, ints(1, -1, 0), ints(2, -3, 3), ints(1, -1, 1)).tolist() == [[[4, 4, 4], [3, 3, 3]]]


def test_strided_slice_masks():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    # x[:, 1, ::2] via begin/end masks on axes 0 and 2, shrink on axis 1
    out = run_op("StridedSlice", {"begin_mask": 0b101, "end_mask": 0b101, "shrink_axis_mask": 0b010}, x, ints(9, 1, 9), ints(0, 2, 0), ints(1, 1, 2))
    np.testing.assert_array_equal(out, x[:, 1, ::2])
    # x[..., None, -1]: ellipsis, new axis, shrink
    out = run_op("StridedSlice", {"ellipsis_mask": 1, "new_axis_mask": 2, "shrink_axis_mask": 4}, x, ints(0, 0, -1), ints(0, 0, 0), ints(1, 1, 1))
    np.testing.assert_array_equal(out, x[..., None, -1])


def test_slicing_shape_inference_keeps_unknown_dims_unknown():
    a = OPS["StridedSlice"].parse({"begin_mask": 1, "end_mask": 1, "shrink_axis_mask": 4})
    args = [Info((3,), "int32", ints(0, 1, 2)), Info((3,), "int32", ints(0, 5, 3)), Info((3,), "int32", ints(1, 2, 1))]
    assert OPS["StridedSlice"].infer(a, Info((None, 10, 4), "float32"), *args)[0].shape == (None, 2)
    assert OPS["Slice"].infer(None, Info((None, 10), "float32"), Info((2,), "int32", ints(0, 2)), Info((2,), "int32", ints(-1, 3)))[0].shape == (None, 3)


def test_split_and_split_v():
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    parts = run_op("Split", {"num_split": 3}, np.array(1, I32), x)
    assert [p.tolist() for p in parts] == [[[0, 1], [6, 7]], [[2, 3], [8, 9]], [[4, 5], [10, 11]]]
    parts = run_op("SplitV", {"num_split": 2}, x, ints(-1, 4), np.array(-1, I32))
    assert [p.shape for p in parts] == [(2, 2), (2, 4)] and parts[1][0].tolist() == [2, 3, 4, 5]
    infos = OPS["SplitV"].infer(2, Info((None, 6), "float32"), Info((2,), "int32", ints(-1, 4)), Info((), "int32", np.array(1)))
    assert [i.shape for i in infos] == [(None, 2), (None, 4)]


def test_tile():
    out = run_op("Tile", {}, np.array([[1, 2]], np.float32), ints(2, 2))
    assert out.tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert OPS["Tile"].infer(None, Info((None, 2), "float32"), Info((2,), "int32", ints(2, 3)))[0].shape == (None, 6)
