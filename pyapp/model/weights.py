"""The weights manifest and the shard bytes it describes, decoded as TF.js 4.22 does
(tfjs-core/src/io/io_utils.ts decodeWeights).

Each group's shards are concatenated in order; its weights lie back to back in that buffer, little
endian. Quantized weights are stored as float16, uint8 or uint16 and come back as their `dtype`:
float16 widens exactly; uint8/uint16 become q * scale + min, computed in float64 like JavaScript
and then stored as float32, or rounded half up (Math.round) for int32.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from pyapp.errors import WeightsError
from pyapp.model.limits import check_tensor_size
from pyapp.model.spec import ModelSpec, WeightGroup, WeightSpec

STORED_DTYPES = {"float32": "<f4", "int32": "<i4", "bool": "u1", "uint8": "u1", "complex64": "<c8"}
QUANTIZED_DTYPES = {"float16": "<f2", "uint8": "u1", "uint16": "<u2"}
# which weight dtypes each quantization may come back as (TF.js throws on the others)
DEQUANTIZED_DTYPES = {"float16": ("float32",), "uint8": ("float32", "int32"), "uint16": ("float32", "int32")}
STRING_LENGTH = np.dtype("<u4")  # a string weight is, per element, a uint32 byte length then the bytes


def decode_weights(spec: ModelSpec, shards: Mapping[str, bytes]) -> dict[str, np.ndarray]:
    """Every weight of the manifest as a read-only array, keyed by weight name. Pure: no I/O."""
    missing = [path for path in spec.shard_paths() if path not in shards]
    if missing:
        raise WeightsError(f"{spec.source}: weight shard(s) missing: {', '.join(missing)}")
    for group in spec.groups:
        for w in group.weights:
            check_tensor_size(w.shape, w.dtype, f"{spec.source}: weight {w.name!r}")
    weights = {}
    for group in spec.groups:
        data = b"".join(shards[path] for path in group.paths)
        offsets, needed = _layout(group, data)
        if needed != len(data):
            problem = "truncated or missing bytes" if len(data) < needed else "extra bytes"
            raise WeightsError(
                f"{spec.source}: weight shards {', '.join(group.paths)} hold {len(data)} bytes but the "
                f"{len(group.weights)} weight(s) they carry need {needed} ({problem})"
            )
        weights.update((w.name, _decode(w, data, offset)) for w, offset in zip(group.weights, offsets))
    return weights


def _layout(group: WeightGroup, data: bytes) -> tuple[list[int], int]:
    """Each weight's offset in the group's bytes, and the bytes they need (a lower bound when a
    string weight runs past the end)."""
    offsets, offset = [], 0
    for weight in group.weights:
        offsets.append(offset)
        offset += _string_byte_size(weight, data, offset) if weight.byte_size is None else weight.byte_size
    return offsets, offset


def _string_byte_size(weight: WeightSpec, data: bytes, offset: int) -> int:
    """Walks the length prefixes; returns a size past the end of data when the bytes stop early."""
    start = offset
    for _ in range(math.prod(weight.shape)):
        if offset + STRING_LENGTH.itemsize > len(data):
            return offset + STRING_LENGTH.itemsize - start
        offset += STRING_LENGTH.itemsize + int(np.frombuffer(data, STRING_LENGTH, 1, offset)[0])
    return offset - start


def _decode(weight: WeightSpec, data: bytes, offset: int) -> np.ndarray:
    count = math.prod(weight.shape)
    quantization = weight.quantization
    if weight.dtype == "string":
        array = _decode_strings(data, offset, count)
    elif quantization is None:
        array = np.frombuffer(data, STORED_DTYPES[weight.dtype], count, offset)
        array = array != 0 if weight.dtype == "bool" else array
    elif quantization["dtype"] == "float16":
        array = np.frombuffer(data, "<f2", count, offset).astype(np.float32)
    else:
        stored = np.frombuffer(data, QUANTIZED_DTYPES[quantization["dtype"]], count, offset)
        values = stored.astype(np.float64) * quantization["scale"] + quantization["min"]
        array = values.astype(np.float32) if weight.dtype == "float32" else _js_round(values).astype(np.int32)
    # An unaligned view cannot be handed to a JS typed array (Pyodide); weights are constants.
    array = np.require(array.reshape(weight.shape), array.dtype.newbyteorder("="), "A")
    array.flags.writeable = False
    return array


def _js_round(values: np.ndarray) -> np.ndarray:
    """Math.round: nearest integer, halves towards +infinity; then Int32Array's wrap-around."""
    floor = np.floor(values)
    return (floor + (values - floor >= 0.5)).astype(np.int64)


def _decode_strings(data: bytes, offset: int, count: int) -> np.ndarray:
    array = np.empty(count, object)
    for i in range(count):  # each element's offset depends on the previous length: no vector form
        length = int(np.frombuffer(data, STRING_LENGTH, 1, offset)[0])
        offset += STRING_LENGTH.itemsize
        array[i] = data[offset : offset + length]
        offset += length
    return array


def check_weights_referenced(spec: ModelSpec, weights: Mapping[str, np.ndarray]) -> None:
    """Every Const node needs its data: a weight of its name, or a `value` tensor with data in its attrs."""
    missing = [
        node.name
        for node in spec.nodes
        if node.op == "Const" and node.name not in weights and not isinstance(node.attrs.get("value"), np.ndarray)
    ]
    if missing:
        raise WeightsError(f"{spec.source}: Const node(s) with no weight in the manifest: {', '.join(missing)}")
