import re

import numpy as np
import pytest
from modelfiles import b64

from pyapp.errors import ModelFormatError, TooLargeError
from pyapp.model.attrs import decode_attr, decode_tensor, dtype_name, parse_shape
from pyapp.model.limits import ENV_VAR
from pyapp.model.spec import TensorSpec

DIMS_2x2 = {"dim": [{"size": "2"}, {"size": "2"}]}


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"i": "7"}, 7),
        ({"i": -3}, -3),
        ({"f": 0.5}, 0.5),
        ({"f": 0}, 0.0),
        ({"b": True}, True),
        ({"s": b64("SAME")}, "SAME"),
        ({"s": b64(b"\xff\x00")}, b"\xff\x00"),
        ({"type": "DT_FLOAT"}, "float32"),
        ({"type": "DT_INT32"}, "int32"),
        ({"type": "DT_BOOL"}, "bool"),
        ({"type": "DT_UINT8"}, "uint8"),
        ({"type": "DT_INT64"}, "int64"),
        ({"type": "DT_STRING"}, "string"),
        ({"type": "DT_HALF"}, "float16"),
        ({"type": 3}, "int32"),
        ({"shape": {"dim": [{"size": "-1"}, {"size": "64"}, {}]}}, (None, 64, 0)),
        ({"shape": {}}, ()),
        ({"shape": {"unknownRank": True}}, None),
        ({"list": {"i": ["1", "2", "2", "1"]}}, (1, 2, 2, 1)),
        ({"list": {"s": [b64("BiasAdd"), b64("Relu")]}}, ("BiasAdd", "Relu")),
        ({"list": {"type": ["DT_FLOAT", "DT_INT32"]}}, ("float32", "int32")),
        ({"list": {"shape": [{"dim": [{"size": "3"}]}, {"unknownRank": True}]}}, ((3,), None)),
        ({"list": {}}, ()),
        ({}, None),
    ],
)
def test_decode_attr(value, expected):
    decoded = decode_attr(value, "node 'n' attr 'a'")
    assert decoded == expected and type(decoded) is type(expected)


def test_float_list_reads_proto_json_special_values():
    decoded = decode_attr({"list": {"f": [0.25, "NaN", "-Infinity"]}}, "here")
    assert decoded[0] == 0.25 and np.isnan(decoded[1]) and decoded[2] == -np.inf


@pytest.mark.parametrize(
    "tensor, expected",
    [
        ({"dtype": "DT_FLOAT", "tensorShape": DIMS_2x2, "tensorContent": b64(np.arange(4, dtype="<f4").tobytes())},
         np.arange(4, dtype=np.float32).reshape(2, 2)),
        ({"dtype": "DT_INT32", "tensorShape": {}, "intVal": [-5]}, np.array(-5, np.int32)),
        ({"dtype": "DT_INT64", "tensorShape": {"dim": [{"size": "2"}]}, "int64Val": ["9007199254740993", "-1"]},
         np.array([9007199254740993, -1], np.int64)),
        ({"dtype": "DT_FLOAT", "tensorShape": DIMS_2x2, "floatVal": [0.5]}, np.full((2, 2), 0.5, np.float32)),
        ({"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "3"}]}, "floatVal": [1, "Infinity"]},
         np.array([1, np.inf, np.inf], np.float32)),  # TF pads a short list with its last value
        ({"dtype": "DT_BOOL", "tensorShape": {"dim": [{"size": "2"}]}, "boolVal": [True, False]}, np.array([True, False])),
        ({"dtype": "DT_HALF", "tensorShape": {"dim": [{"size": "2"}]}, "halfVal": [15360, 49152]},
         np.array([1.0, -2.0], np.float16)),
        ({"dtype": "DT_STRING", "tensorShape": {"dim": [{"size": "2"}]}, "stringVal": [b64("ab"), b64(b"\x00")]},
         np.array([b"ab", b"\x00"], object)),
    ],
)
def test_decode_tensor_with_data(tensor, expected):
    decoded = decode_tensor(tensor, "here")
    assert decoded.dtype == expected.dtype and decoded.shape == expected.shape
    assert np.array_equal(decoded, expected)


def test_tensor_whose_data_is_in_the_manifest_is_a_spec():
    tensor = {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "3"}, {"size": "1"}]}}
    assert decode_tensor(tensor, "here") == TensorSpec("", "float32", (3, 1))


def test_dtype_name_and_shape_helpers():
    assert dtype_name("DT_DOUBLE", "w") == "float64"
    assert parse_shape({"dim": [{"size": 4}]}, "w") == (4,)


@pytest.mark.parametrize(
    "value, message",
    [
        ({"type": "DT_NOPE"}, "node 'n' attr 'a': unknown dtype 'DT_NOPE'"),
        ({"i": "seven"}, "node 'n' attr 'a': cannot decode i 'seven'"),
        ({"s": "not base64!"}, "node 'n' attr 'a': cannot decode s"),
        ({"weird": 1}, "node 'n' attr 'a': unknown attribute kind 'weird'"),
        ({"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "1"}]}, "floatVal": [1, 2]}},
         "tensor of shape (1,) holds 2 values"),
        ({"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "-1"}]}}}, "must be fully known"),
    ],
)
def test_decode_attr_errors(value, message):
    with pytest.raises(ModelFormatError, match=re.escape(message)):
        decode_attr(value, "node 'n' attr 'a'")


def splat(size: int) -> dict:
    """A float32 tensor of `size` values given as one: TensorFlow repeats the last value."""
    return {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": str(size)}]}, "floatVal": [1.0]}}


def test_a_splat_to_a_huge_shape_is_refused_before_it_is_built(monkeypatch):
    """8 GB from a few bytes of JSON: refused at the default limit (2 GiB), nothing allocated."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(TooLargeError, match=re.escape("node 'n' attr 'a': shape [2000000000] of float32 needs 8,000,000,000 bytes")):
        decode_attr(splat(2_000_000_000), "node 'n' attr 'a'")


def test_inline_tensors_obey_the_configured_limit(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "4096")
    assert decode_attr(splat(1024), "a").shape == (1024,)
    with pytest.raises(TooLargeError, match="shape \\[1025\\] of float32 needs 4,100 bytes"):
        decode_attr(splat(1025), "a")
    content = {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2000"}]}, "tensorContent": b64(bytes(8000))}
    with pytest.raises(TooLargeError, match="needs 8,000 bytes"):
        decode_attr({"tensor": content}, "a")


def test_negative_tensor_dims_are_refused():
    tensor = {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "-4"}]}, "floatVal": [1.0]}
    with pytest.raises(ModelFormatError, match=re.escape("a: shape [-4] has a negative dimension")):
        decode_attr({"tensor": tensor}, "a")
