"""TensorFlow AttrValue / TensorProto / TensorShapeProto in their proto3 JSON form → Python values.

  i → int   f → float   b → bool   s → str (bytes when not UTF-8)   type → dtype name
  shape → tuple of dims (-1 → None) or None for unknown rank   list → tuple of any of these
  tensor → np.ndarray, or a TensorSpec when the converter moved its data into the weights manifest
           (or when decoded with values=False: then no tensor data is decoded, only dtype and shape)
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import numpy as np

from pyapp.errors import ModelFormatError
from pyapp.model.limits import check_tensor_size
from pyapp.model.spec import TensorSpec

# (enum number, TF name, dtype name): JSON writers use the name, but the number is legal proto3 JSON too.
DATA_TYPES = (
    (1, "DT_FLOAT", "float32"),
    (2, "DT_DOUBLE", "float64"),
    (3, "DT_INT32", "int32"),
    (4, "DT_UINT8", "uint8"),
    (5, "DT_INT16", "int16"),
    (6, "DT_INT8", "int8"),
    (7, "DT_STRING", "string"),
    (8, "DT_COMPLEX64", "complex64"),
    (9, "DT_INT64", "int64"),
    (10, "DT_BOOL", "bool"),
    (14, "DT_BFLOAT16", "bfloat16"),
    (17, "DT_UINT16", "uint16"),
    (18, "DT_COMPLEX128", "complex128"),
    (19, "DT_HALF", "float16"),
    (20, "DT_RESOURCE", "resource"),
    (21, "DT_VARIANT", "variant"),
    (22, "DT_UINT32", "uint32"),
    (23, "DT_UINT64", "uint64"),
)
_DTYPE_BY_KEY = {key: dtype for number, tf_name, dtype in DATA_TYPES for key in (number, tf_name)}

# TensorProto's repeated value fields; halfVal holds float16 bit patterns as ints.
_TENSOR_VALUE_FIELDS = ("floatVal", "doubleVal", "intVal", "int64Val", "uint32Val", "uint64Val", "boolVal", "halfVal")


def dtype_name(value: str | int, where: str) -> str:
    try:
        return _DTYPE_BY_KEY[value]
    except (KeyError, TypeError):
        raise ModelFormatError(f"{where}: unknown dtype {value!r}") from None


def parse_shape(shape: dict, where: str) -> tuple[int | None, ...] | None:
    try:
        if shape.get("unknownRank"):
            return None
        # proto3 JSON omits zero values, so a dim without "size" has size 0.
        sizes = tuple(int(dim.get("size", 0)) for dim in shape.get("dim", ()))
    except (ValueError, TypeError, AttributeError):
        raise ModelFormatError(f"{where}: bad tensor shape {shape!r}") from None
    if any(size < -1 for size in sizes):
        raise ModelFormatError(f"{where}: shape {list(sizes)} has a negative dimension")
    return tuple(None if size == -1 else size for size in sizes)


def tensor_spec(tensor: dict, where: str) -> TensorSpec:
    """A TensorProto's dtype and (fully known) shape, without its data."""
    dtype = dtype_name(tensor.get("dtype", "DT_INVALID"), where)
    shape = parse_shape(tensor.get("tensorShape", {}), where)
    if shape is None or None in shape:
        raise ModelFormatError(f"{where}: tensor shape must be fully known, got {shape}")
    return TensorSpec("", dtype, shape)


def decode_tensor(tensor: dict, where: str) -> np.ndarray | TensorSpec:
    spec = tensor_spec(tensor, where)
    dtype, shape = spec.dtype, spec.shape
    if "tensorContent" in tensor:
        check_tensor_size(shape, dtype, where)
        content = base64.b64decode(tensor["tensorContent"], validate=True)
        return np.frombuffer(content, np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(shape)
    if dtype == "string":
        values = [base64.b64decode(v, validate=True) for v in tensor.get("stringVal", ())]
    else:
        values = next((tensor[key] for key in _TENSOR_VALUE_FIELDS if tensor.get(key)), [])
    if not values:
        return spec
    size = math.prod(shape)
    if len(values) > size:
        raise ModelFormatError(f"{where}: tensor of shape {shape} holds {len(values)} values")
    # before the padding below: one value may stand for a tensor of any size
    check_tensor_size(shape, dtype, where)
    array = _tensor_values(values, dtype, "halfVal" in tensor)
    # TensorFlow's rule: a short value list is padded with its last value.
    return np.concatenate([array, np.repeat(array[-1:], size - len(array))]).reshape(shape)


def _tensor_values(values: list, dtype: str, half_bits: bool) -> np.ndarray:
    if dtype == "string":
        array = np.empty(len(values), object)
        array[:] = values
        return array
    if half_bits:
        return np.array([int(v) for v in values], np.uint16).view(np.float16)
    # float("NaN"), float("Infinity") and int("123") read proto3 JSON's string encodings.
    convert = float if np.dtype(dtype).kind in "fc" else (bool if dtype == "bool" else int)
    return np.array([convert(v) for v in values], dtype)


def _string(raw: str) -> str | bytes:
    data = base64.b64decode(raw, validate=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


_SCALAR_KINDS = {
    "s": lambda raw, where: _string(raw),
    "i": lambda raw, where: int(raw),
    "f": lambda raw, where: float(raw),
    "b": lambda raw, where: bool(raw),
    "type": dtype_name,
    "shape": parse_shape,
    "tensor": decode_tensor,
    "func": lambda raw, where: raw,
    "placeholder": lambda raw, where: raw,
}


def decode_attr(value: dict, where: str, values: bool = True) -> Any:
    """One AttrValue. An empty one ({}) is None; an empty list ({"list": {}}) is ().
    values=False leaves tensor data undecoded: a tensor becomes a TensorSpec."""
    if not value:
        return None
    kind, raw = next(iter(value.items()))
    try:
        if kind == "list":
            item_kind, items = next(((k, v) for k, v in raw.items() if v), ("i", ()))
            return tuple(_decoder(item_kind, where, values)(item, where) for item in items)
        return _decoder(kind, where, values)(raw, where)
    except (ValueError, TypeError, AttributeError, binascii.Error) as e:
        raise ModelFormatError(f"{where}: cannot decode {kind} {raw!r}: {e}") from None


def _decoder(kind: str, where: str, values: bool):
    if kind not in _SCALAR_KINDS:
        raise ModelFormatError(f"{where}: unknown attribute kind {kind!r}")
    return _SCALAR_KINDS[kind] if values or kind != "tensor" else tensor_spec
