import json
import re
from collections import Counter

import numpy as np
import pytest
from modelfiles import b64, const, graph_model, node, placeholder, weight

from pyapp.errors import ModelFormatError
from pyapp.model import NodeDef, TensorSpec, parse_model_json

F = "float32"
REAL_MODELS = {
    # name: (nodes, some op counts, inputs, outputs)
    "selfie": (361, {"Const": 136, "Conv2D": 43, "Conv2DBackpropInput": 1},
               [("input_1", F, (1, 256, 256, 3))], [("activation_10", F, (1, 256, 256, 1))]),
    "meet": (407, {"Const": 163, "MatMul": 12, "ResizeBilinear": 3},
             [("input_1", F, (1, 144, 256, 3))], [("segment", F, (1, 144, 256, 2))]),
    "blazeface": (257, {"Const": 112, "_FusedConv2D": 37, "Pad": 2},
                  [("input", F, (1, 256, 256, 3))],
                  [("Identity_3", F, (1, 384, 16)), ("Identity", F, (1, 512, 1)),
                   ("Identity_1", F, (1, 384, 1)), ("Identity_2", F, (1, 512, 16))]),
    "posenet": (94, {"Const": 62, "_FusedConv2D": 18, "FusedDepthwiseConv2dNative": 13},
                [("image", F, (1, 385, 385, 3))],
                [("MobilenetV1/displacement_fwd_2/BiasAdd", F, (1, 25, 25, 32)),
                 ("MobilenetV1/heatmap_2/BiasAdd", F, (1, 25, 25, 17)),
                 ("MobilenetV1/displacement_bwd_2/BiasAdd", F, (1, 25, 25, 32)),
                 ("MobilenetV1/offset_2/BiasAdd", F, (1, 25, 25, 34))]),
    "movenet-lightning": (331, {"Const": 180, "_FusedConv2D": 50, "GatherNd": 4, "Cast": 5},
                          [("input", "int32", (1, 192, 192, 3))], [("Identity", F, (1, 1, 17, 3))]),
    "emotion": (45, {"Const": 23, "_FusedConv2D": 9, "Softmax": 1},
                [("input_1", F, (None, 64, 64, 1))], [("Identity", F, (None, 7))]),
    # its signature lists only the output, without shape: the input is the Placeholder
    "mobilefacenet": (359, {"Const": 139, "Abs": 33, "Rsqrt": 1},
                      [("img_inputs", F, (None, 112, 112, 3))], [("embeddings", F, None)]),
}


@pytest.mark.parametrize("name", REAL_MODELS)
def test_real_models(assets_dir, name):
    path = assets_dir / "models" / name / "model.json"
    spec = parse_model_json(path.read_bytes(), str(path))
    count, ops, inputs, outputs = REAL_MODELS[name]
    assert len(spec.nodes) == count
    assert ops.items() <= Counter(n.op for n in spec.nodes).items()
    assert spec.inputs == tuple(TensorSpec(*t) for t in inputs)
    assert spec.outputs == tuple(TensorSpec(*t) for t in outputs)
    assert spec.format == "graph-model" and spec.converted_by == "https://github.com/vladmandic"
    assert spec.shard_paths() == [f"{name}.bin"]
    assert spec.weight_bytes() == path.with_name(f"{name}.bin").stat().st_size
    assert {w.name for g in spec.groups for w in g.weights} == {n.name for n in spec.nodes if n.op == "Const"}


def test_node_attrs_are_decoded(assets_dir):
    spec = parse_model_json((assets_dir / "models/movenet-lightning/model.json").read_bytes())
    conv = next(n for n in spec.nodes if n.op == "_FusedConv2D")
    assert conv.attrs["strides"] == (1, 2, 2, 1) and conv.attrs["padding"] == "SAME"
    assert conv.attrs["fused_ops"] == ("BiasAdd", "Relu6") and conv.attrs["epsilon"] == 0.0
    assert conv.device == "/device:CPU:0" and conv.attrs["T"] == "float32"
    weights = {w.name: w for g in spec.groups for w in g.weights}
    filt = weights[conv.inputs[1]]
    assert filt.quantization == {"dtype": "float16", "original_dtype": "float32"}
    assert filt.byte_size == 2 * int(np.prod(filt.shape)) and filt.dtype == "float32"


def test_weight_offsets_follow_the_manifest():
    model = graph_model(weights=[weight("w", (3,)), weight("q", (5,), "float32", {"dtype": "uint8", "min": 0, "scale": 1}),
                                 weight("i", (2, 2), "int32")],
                        nodes=[const("w", shape=(3,)), const("q", shape=(5,)), const("i", "DT_INT32", (2, 2))])
    (group,) = parse_model_json(model).groups
    assert [(w.offset, w.byte_size, w.group) for w in group.weights] == [(0, 12, 0), (12, 5, 0), (17, 16, 0)]


def test_string_weight_sizes_are_only_known_from_bytes():
    model = graph_model(weights=[weight("w"), weight("s", (2,), "string"), weight("v")])
    (group,) = parse_model_json(model).groups
    assert [(w.offset, w.byte_size) for w in group.weights] == [(0, 8), (None, None), (None, 8)]


def test_without_signature_inputs_are_placeholders_and_outputs_unconsumed_nodes():
    nodes = [placeholder("a", (2,)), placeholder("b", (-1,), "DT_INT32"), const("w"), node("noop", "NoOp"),
             node("c", "Cast", "b", DstT={"type": "DT_FLOAT"}), node("y", "AddV2", "a", "w", "^noop"),
             node("z", "Mul", "y", "c", T={"type": "DT_FLOAT"}), node("arg", "ArgMax", "y", output_type={"type": "DT_INT32"})]
    spec = parse_model_json(graph_model(nodes=nodes))
    assert spec.inputs == (TensorSpec("a", F, (2,)), TensorSpec("b", "int32", (None,)))
    assert spec.outputs == (TensorSpec("z", F, None), TensorSpec("arg", "int32", None))


def test_user_defined_metadata_signature_wins_and_names_keep_output_index():
    signature = {"outputs": {"k": {"name": "y:1", "dtype": "DT_INT32", "tensorShape": {"dim": [{"size": "4"}]}}}}
    model = graph_model(signature={"outputs": {"y:0": {"name": "y:0"}}}, userDefinedMetadata={"signature": signature})
    spec = parse_model_json(json.dumps(model), "m.json")
    assert spec.outputs == (TensorSpec("y:1", "int32", (4,)),)
    assert spec.inputs == (TensorSpec("x", F, (1, 2)),)
    assert spec.user_defined_metadata == {"signature": signature} and spec.versions == {"producer": 1}


def test_nodes_keep_inputs_as_written():
    nodes = [placeholder("x"), const("w"), node("y", "Mul", "x", "w:0", "^x")]
    assert parse_model_json(graph_model(nodes=nodes)).nodes[2] == NodeDef("y", "Mul", ("x", "w:0", "^x"), {})


def _broken(edit):
    model = graph_model()
    edit(model)
    return json.dumps(model)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": "graph-model", "modelTopology": {"node": [}', "m.json: not valid JSON: Expecting value at line 1 column 54 (char 53)"),
        (b"\x80{}", "m.json: not UTF-8 text: 'utf-8' codec can't decode byte 0x80 in position 0"),
        ("[1, 2]", "m.json: expected a JSON object, got list"),
        (_broken(lambda m: m.update(format="layers-model")), "format 'layers-model' is not supported"),
        (_broken(lambda m: m.pop("modelTopology")), "m.json: missing field 'modelTopology'"),
        (_broken(lambda m: m["modelTopology"].pop("node")), "m.json: modelTopology: missing field 'node'"),
        (_broken(lambda m: m.pop("weightsManifest")), "m.json: missing field 'weightsManifest'"),
        (_broken(lambda m: m["modelTopology"]["node"][1].pop("op")), "m.json: modelTopology.node[1] ('w'): missing field 'op'"),
        (_broken(lambda m: m["modelTopology"]["node"][0].pop("name")), "m.json: modelTopology.node[0]: missing field 'name'"),
        (_broken(lambda m: m["weightsManifest"][0]["weights"][0].pop("dtype")),
         "m.json: weightsManifest[0].weights[0]: missing field 'dtype'"),
        (_broken(lambda m: m["weightsManifest"][0].update(paths="w.bin")),
         "m.json: weightsManifest[0].paths should be a list, got str"),
        (_broken(lambda m: m["weightsManifest"][0]["weights"][0].update(dtype="float64")),
         "m.json: weightsManifest[0].weights[0]: weight 'w' has unknown dtype 'float64'"),
        (_broken(lambda m: m["weightsManifest"][0]["weights"][0].update(shape=[2, -1])), "weight 'w' has a bad shape [2, -1]"),
        (_broken(lambda m: m["weightsManifest"][0]["weights"][0].update(quantization={"dtype": "int4"})),
         "weight 'w' has unknown quantization dtype 'int4'"),
        (_broken(lambda m: m["weightsManifest"][0]["weights"][0].update(quantization={"dtype": "uint8", "min": 0})),
         "weight 'w' is quantized as uint8 but lacks numeric min and scale"),
        (_broken(lambda m: m["weightsManifest"][0]["weights"][0].update(dtype="int32", quantization={"dtype": "float16"})),
         "weight 'w' is quantized as float16, which cannot become int32"),
        (_broken(lambda m: m["weightsManifest"][0]["weights"].append(weight("w"))), "weight 'w' appears twice"),
        (_broken(lambda m: m["modelTopology"]["node"][2]["attr"].update(T={"type": "DT_BAD"})),
         "m.json: modelTopology.node[2] ('y') attr 'T': unknown dtype 'DT_BAD'"),
        (_broken(lambda m: m["modelTopology"]["node"][2]["input"].append("ghost:1")),
         "node 'y' (Mul) reads 'ghost:1', which is no node"),
        (_broken(lambda m: m["modelTopology"]["node"].append(node("x", "Relu"))), "two nodes are named 'x'"),
        (_broken(lambda m: m.update(signature={"inputs": {"in": {"name": "nope:0"}}})),
         "m.json: signature.inputs['in']: names 'nope', which is no node"),
        (_broken(lambda m: m.update(signature={"outputs": {"out": {"dtype": "DT_FLOAT"}}})),
         "m.json: signature.outputs['out']: missing field 'name'"),
    ],
)
def test_malformed_model_json(text, message):
    with pytest.raises(ModelFormatError, match=re.escape(message)):
        parse_model_json(text, "m.json")


@pytest.mark.parametrize(
    "path, problem",
    [
        ("/etc/passwd", "is absolute"),
        ("//evil.example/w.bin", "is absolute (or names a host)"),
        ("file:///etc/passwd", "names a URL scheme"),
        ("http://evil.example/w.bin", "names a URL scheme"),
        ("data:application/octet-stream;base64,AAAA", "names a URL scheme"),
        ("C:/models/w.bin", "names a URL scheme or drive"),
        ("../w.bin", "climbs out of the model's folder"),
        ("sub/../../w.bin", "climbs out"),
        ("%2e%2e/w.bin", "climbs out"),
        ("%2E%2E%2Fw.bin", "climbs out"),
        ("%252e%252e/w.bin", "climbs out"),
        ("..\\w.bin", "holds a backslash"),
        ("a%5c..%5cw.bin", "holds a backslash"),
        ("w.bin\x00.png", "holds a control character"),
        ("w%00.bin", "holds a control character"),
        ("sub/", "names a folder"),
        ("", "should be a non-empty string, got ''"),
        (7, "should be a non-empty string, got 7"),
    ],
)
def test_shard_paths_must_stay_in_the_model_folder(path, problem):
    model = graph_model(paths=("w.bin", path))
    with pytest.raises(ModelFormatError, match=r"^m\.json: weightsManifest\[0\]\.paths\[1\]: .*" + re.escape(problem)):
        parse_model_json(model, "m.json")


def test_shard_paths_inside_the_model_folder_are_kept_as_written():
    paths = ("w.bin", "./sub/w.bin", "w%20b.bin", "group1-shard1of2.bin")
    assert parse_model_json(graph_model(paths=paths)).shard_paths() == list(paths)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m["modelTopology"]["node"][0]["attr"]["shape"]["shape"]["dim"].append({"size": "-7"}),
         "node[0] ('x') attr 'shape': shape [1, 2, -7] has a negative dimension"),
        (lambda m: m.update(signature={"inputs": {"x": {"name": "x", "tensorShape": {"dim": [{"size": "-3"}]}}}}),
         "signature.inputs['x']: shape [-3] has a negative dimension"),
        (lambda m: m.update(signature={"inputs": {"x": {"name": "x", "tensorShape": {"dim": [{"size": "big"}]}}}}),
         "signature.inputs['x']: bad tensor shape"),
        (lambda m: m.update(signature={"inputs": {"x": {"name": "x", "tensorShape": [4]}}}),
         "signature.inputs['x']: bad tensor shape [4]"),
    ],
)
def test_negative_or_malformed_dims_are_refused(edit, message):
    model = graph_model()
    edit(model)
    with pytest.raises(ModelFormatError, match=re.escape(message)):
        parse_model_json(model, "m.json")


def test_without_values_no_tensor_is_decoded():
    """What `pyapp inspect` reads: a Const's value is its dtype and shape, however large it claims to be."""
    tensor = {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2000000000"}]}, "floatVal": [1.0]}
    nodes = [placeholder("x"), node("w", "Const", dtype={"type": "DT_FLOAT"}, value={"tensor": tensor}), node("y", "Mul", "x", "w")]
    spec = parse_model_json(graph_model(nodes=nodes, weights=[]), "m.json", values=False)
    assert spec.nodes[1].attrs["value"] == TensorSpec("", "float32", (2_000_000_000,))
