import numpy as np
import pytest
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info

RNG = np.random.default_rng(3)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((4, 5)).astype(np.float32)


@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_transposes(ta, tb):
    a = A.T.copy() if ta else A
    b = B.T.copy() if tb else B
    out = run_op("MatMul", {"transpose_a": ta, "transpose_b": tb}, a, b)
    np.testing.assert_allclose(out, A @ B, rtol=1e-5)
    info = OPS["MatMul"].infer(OPS["MatMul"].parse({"transpose_a": ta, "transpose_b": tb}), Info(a.shape, "float32"), Info(b.shape, "float32"))
    assert info[0].shape == (3, 5)


def test_fused_and_batched_matmul():
    bias = np.arange(5, dtype=np.float32)
    out = run_op("_FusedMatMul", {"fused_ops": ["BiasAdd", "Relu"]}, A, B, bias)
    np.testing.assert_allclose(out, np.maximum(A @ B + bias, 0), rtol=1e-5, atol=1e-6)
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    out = run_op("BatchMatMulV2", {"adj_y": True}, x, B.T.copy())
    np.testing.assert_allclose(out, x @ B, rtol=1e-5)
