import re
import struct

import numpy as np
import pytest
from modelfiles import MODELS, W_BYTES, b64, const, graph_model, node, placeholder, weight

from pyapp.errors import TooLargeError, WeightsError
from pyapp.model import check_weights_referenced, decode_weights, parse_model_json
from pyapp.model.limits import ENV_VAR


def decode_one(entry: dict, data: bytes) -> np.ndarray:
    spec = parse_model_json(graph_model(nodes=[], weights=[entry]), "m.json")
    return decode_weights(spec, {"w.bin": data})[entry["name"]]


@pytest.mark.parametrize("name", MODELS)
def test_real_model_weights(assets_dir, name):
    path = assets_dir / "models" / name / "model.json"
    spec = parse_model_json(path.read_bytes(), str(path))
    weights = decode_weights(spec, {p: (path.parent / p).read_bytes() for p in spec.shard_paths()})
    for w in (w for group in spec.groups for w in group.weights):
        array = weights[w.name]
        assert array.shape == w.shape and array.dtype == w.dtype, w.name
        assert array.flags.aligned and not array.flags.writeable
        if array.dtype.kind == "f":
            assert np.isfinite(array).all(), w.name


def test_float16_quantized_models_become_float32(assets_dir):
    path = assets_dir / "models/selfie/model.json"
    spec = parse_model_json(path.read_bytes())
    weights = decode_weights(spec, {"selfie.bin": path.with_name("selfie.bin").read_bytes()})
    entry = next(w for w in spec.groups[0].weights if w.name == "segment/filter")
    raw = path.with_name("selfie.bin").read_bytes()[entry.offset : entry.offset + entry.byte_size]
    assert entry.quantization["dtype"] == "float16" and weights["segment/filter"].dtype == np.float32
    assert np.array_equal(weights["segment/filter"].ravel(), np.frombuffer(raw, "<f2").astype(np.float32))


@pytest.mark.parametrize(
    "entry, data, expected",
    [
        (weight("w", (2, 2)), np.array([1, -2, 3.5, 1e-40], "<f4").tobytes(), np.array([[1, -2], [3.5, 1e-40]], np.float32)),
        (weight("w", (3,), "int32"), struct.pack("<3i", -7, 0, 2**31 - 1), np.array([-7, 0, 2**31 - 1], np.int32)),
        (weight("w", (4,), "bool"), bytes([0, 1, 0, 255]), np.array([False, True, False, True])),
        (weight("w", (), "uint8"), bytes([200]), np.array(200, np.uint8)),
        (weight("w", (0, 3)), b"", np.zeros((0, 3), np.float32)),
        # float16 bits: 1, -2, smallest subnormal, largest finite, +inf
        (weight("w", (5,), "float32", {"dtype": "float16"}), struct.pack("<5H", 0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00),
         np.array([1, -2, 2**-24, 65504, np.inf], np.float32)),
        (weight("w", (3,), "float32", {"dtype": "uint8", "min": -1, "scale": 0.5}), bytes([0, 1, 255]),
         np.array([-1, -0.5, 126.5], np.float32)),
        (weight("w", (3,), "float32", {"dtype": "uint16", "min": 0.25, "scale": 0.001}), struct.pack("<3H", 0, 3, 65535),
         np.array([0.25, 0.253, 65.785], np.float32)),
        # q * 0.5 - 2.5 hits every half: Math.round sends halves up (-2.5 → -2, -1.5 → -1, 0.5 → 1), not to even
        (weight("w", (7,), "int32", {"dtype": "uint8", "min": -2.5, "scale": 0.5, "original_dtype": "int32"}),
         bytes(range(7)), np.array([-2, -2, -1, -1, 0, 0, 1], np.int32)),
        (weight("w", (2,), "int32", {"dtype": "uint16", "min": -1000.5, "scale": 0.25, "original_dtype": "int32"}),
         struct.pack("<2H", 1, 65535), np.array([-1000, 15383], np.int32)),
    ],
)
def test_decode_and_dequantize(entry, data, expected):
    array = decode_one(entry, data)
    assert array.dtype == expected.dtype and array.shape == expected.shape
    assert np.array_equal(array, expected)


def test_string_weights_use_length_prefixes():
    data = struct.pack("<I", 2) + b"hi" + struct.pack("<I", 0) + struct.pack("<I", 3) + b"\xff\x00!"
    array = decode_one(weight("w", (3,), "string"), data)
    assert array.dtype == object and list(array) == [b"hi", b"", b"\xff\x00!"]


def test_group_shards_are_concatenated_in_order_and_weights_follow_each_other():
    weights = [weight("a", (3,)), weight("b", (1,), "uint8"), weight("c", (2,), "int32")]
    data = np.array([1, 2, 3], "<f4").tobytes() + bytes([9]) + struct.pack("<2i", -1, 5)
    model = graph_model(nodes=[], weights=weights, paths=("s1.bin", "s2.bin"))
    decoded = decode_weights(parse_model_json(model), {"s1.bin": data[:5], "s2.bin": data[5:]})
    assert decoded["a"].tolist() == [1, 2, 3] and decoded["b"].tolist() == [9] and decoded["c"].tolist() == [-1, 5]
    assert decoded["c"].flags.aligned  # it starts at byte 13


@pytest.mark.parametrize(
    "shards, message",
    [
        ({}, "m.json: weight shard(s) missing: w.bin"),
        ({"w.bin": W_BYTES[:7]}, "m.json: weight shards w.bin hold 7 bytes but the 1 weight(s) they carry need 8 (truncated or missing bytes)"),
        ({"w.bin": W_BYTES + b"\0"}, "m.json: weight shards w.bin hold 9 bytes but the 1 weight(s) they carry need 8 (extra bytes)"),
    ],
)
def test_shard_errors(shards, message):
    with pytest.raises(WeightsError, match=re.escape(message)):
        decode_weights(parse_model_json(graph_model(), "m.json"), shards)


def test_truncated_string_weight():
    data = struct.pack("<I", 5) + b"abc"
    with pytest.raises(WeightsError, match=re.escape("hold 7 bytes but the 1 weight(s) they carry need 13")):
        decode_one(weight("w", (2,), "string"), data)


def test_every_const_needs_data():
    inline = {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {}, "floatVal": [2.0]}}
    nodes = [placeholder("x"), const("w"), const("ghost"), node("k", "Const", value=inline), node("y", "AddN", "x", "w", "ghost", "k")]
    spec = parse_model_json(graph_model(nodes=nodes), "m.json")
    weights = decode_weights(spec, {"w.bin": W_BYTES})
    with pytest.raises(WeightsError, match=re.escape("m.json: Const node(s) with no weight in the manifest: ghost")):
        check_weights_referenced(spec, weights)
    check_weights_referenced(spec, {**weights, "ghost": np.zeros(2, np.float32)})


def test_inline_tensor_data_needs_no_weight():
    content = {"dtype": "DT_INT32", "tensorShape": {"dim": [{"size": "2"}]}, "tensorContent": b64(struct.pack("<2i", 4, 5))}
    spec = parse_model_json(graph_model(nodes=[node("k", "Const", value={"tensor": content})], weights=[]))
    check_weights_referenced(spec, decode_weights(spec, {"w.bin": b""}))
    assert spec.nodes[0].attrs["value"].tolist() == [4, 5]


@pytest.mark.parametrize("shape, needs", [((2**32, 2**32), "73,786,976,294,838,206,464"), ((2**20, 2**20), "4,398,046,511,104")])
def test_weight_shapes_over_the_limit_are_refused_before_decoding(monkeypatch, shape, needs):
    """(2**32, 2**32) wraps to 0 bytes in int64: an empty shard looked right for it."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    spec = parse_model_json(graph_model(nodes=[], weights=[weight("w", shape)]), "m.json")
    with pytest.raises(TooLargeError, match=re.escape(f"m.json: weight 'w': shape {list(shape)} of float32 needs {needs} bytes")):
        decode_weights(spec, {"w.bin": b""})


def test_dequantized_size_counts(monkeypatch):
    """1,000 uint8 bytes dequantize to 4,000 bytes of float32: the limit applies to what is built."""
    monkeypatch.setenv(ENV_VAR, "3999")
    entry = weight("w", (1000,), quantization={"dtype": "uint8", "min": 0.0, "scale": 1.0})
    with pytest.raises(TooLargeError, match="weight 'w': shape \\[1000\\] of float32 needs 4,000 bytes"):
        decode_one(entry, bytes(1000))
