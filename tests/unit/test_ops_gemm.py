import numpy as np
import pytest

from pyapp.ops import gemm as gemm_module


@pytest.mark.parametrize("no_blas", [False, True])
@pytest.mark.parametrize("k", [8, 64])
def test_gemm_paths_agree(monkeypatch, no_blas, k):
    monkeypatch.setattr(gemm_module, "NO_BLAS", no_blas)  # the einsum path is what Pyodide runs
    rng = np.random.default_rng(k)
    a, b = rng.standard_normal((50, k)).astype(np.float32), rng.standard_normal((k, 7)).astype(np.float32)
    out = gemm_module.gemm(a, b)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
