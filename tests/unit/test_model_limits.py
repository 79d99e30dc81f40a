import re

import pytest

from pyapp.errors import ModelFormatError, PyappError, TooLargeError
from pyapp.model.limits import DEFAULT_MAX_TENSOR_BYTES, ENV_VAR, check_tensor_size, max_tensor_bytes


def test_default_limit_is_2_gib_in_cpython(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert max_tensor_bytes() == DEFAULT_MAX_TENSOR_BYTES == 2 * 2**30
    check_tensor_size((2**29,), "float32", "t")  # exactly 2 GiB
    with pytest.raises(TooLargeError, match=re.escape("t: shape [536870913] of float32 needs 2,147,483,652 bytes, "
                                                      "over the 2,147,483,648-byte limit for one tensor (PYAPP_MAX_TENSOR_BYTES)")):
        check_tensor_size((2**29 + 1,), "float32", "t")


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "1000")
    check_tensor_size((250,), "int32", "t")
    with pytest.raises(TooLargeError, match="needs 1,008 bytes, over the 1,000-byte limit"):
        check_tensor_size((126,), "float64", "t")
    for bad in ("1GB", "-5", "0"):
        monkeypatch.setenv(ENV_VAR, bad)
        with pytest.raises(PyappError, match=f"{ENV_VAR}={bad!r}: expected a positive byte count"):
            max_tensor_bytes()


def test_sizes_are_exact_beyond_int64_and_unknown_dims_do_not_count(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(TooLargeError, match="needs 73,786,976,294,838,206,464 bytes"):
        check_tensor_size((2**32, 2**32), "float32", "w")  # int64 would wrap this product to 0
    check_tensor_size((None, 1024, 1024), "float32", "x")
    check_tensor_size(None, "string", "x")
    with pytest.raises(ModelFormatError, match=re.escape("w: shape [2, -3] has a negative dimension")):
        check_tensor_size((2, -3), "float32", "w")
