import re

import numpy as np
import pytest

from pyapp.errors import InputError
from pyapp.wire import from_wire


def test_typed_array_bytes_and_lists_become_arrays():
    data = np.arange(6, dtype=np.float32)
    got = from_wire({"dtype": "float32", "shape": [1, 2, 3], "data": memoryview(data.tobytes())})
    assert got.dtype == np.float32 and got.shape == (1, 2, 3) and got.ravel().tolist() == data.tolist()
    assert from_wire({"dtype": "int32", "shape": [2], "data": [7, -1]}).tolist() == [7, -1]
    assert from_wire({"dtype": "uint8", "shape": [0, 4], "data": []}).shape == (0, 4)


@pytest.mark.parametrize(
    "value, message",
    [
        ({"dtype": "float32", "shape": [1, 2, 2], "data": [1, 2, 3]}, "array data holds 3 values, shape [1, 2, 2] needs 4"),
        ({"dtype": "float32", "shape": [2], "data": np.zeros(3, np.float32).tobytes()}, "array data holds 3 values, shape [2] needs 2"),
        ({"dtype": "float32", "shape": [3], "data": b"\0" * 10}, "array data cannot be read as float32: buffer size must be a multiple"),
        ({"dtype": "float32", "shape": [2, 2], "data": [[1, 2], [3, 4]]}, "array data holds a nested list of shape (2, 2), shape [2, 2] needs 4"),
        ({"dtype": "int32", "shape": [2], "data": ["a", "b"]}, "array data cannot be read as int32"),
        ({"dtype": "float99", "shape": [1], "data": [1]}, "array dtype 'float99' is not a numeric dtype"),
        ({"dtype": "object", "shape": [1], "data": [1]}, "array dtype 'object' is not a numeric dtype"),
        ({"dtype": "float32", "shape": [-1, 2], "data": [1, 2]}, "array shape [-1, 2] should be a list of non-negative ints"),
        ({"dtype": "float32", "shape": "2", "data": [1, 2]}, "array shape '2' should be a list of non-negative ints"),
        ({"dtype": "float32", "data": [1]}, "an array should be {dtype, shape, data}: shape missing"),
        ([1, 2], "an array should be {dtype, shape, data}: dtype, shape, data missing"),
    ],
)
def test_malformed_arrays_are_input_errors(value, message):
    with pytest.raises(InputError, match=re.escape(message)):
        from_wire(value)
