"""model.json (TF.js "graph-model" format) → ModelSpec. Pure: bytes in, records out.

Inputs and outputs follow TF.js's GraphModel: the signature is `userDefinedMetadata.signature` when
present, else `signature`. Its non-empty `inputs` name the inputs, otherwise the Placeholder nodes
are the inputs. Its non-empty `outputs` name the outputs, otherwise the outputs are the nodes no other
node consumes (data or control input), in graph order; unlike TF.js we leave out Const and NoOp
nodes there, which are never results. Dtype and shape missing from a signature entry come from the
node (a Placeholder's `dtype`/`shape`, or the dtype attr an op declares its output with).
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse

import numpy as np

from pyapp.errors import ModelFormatError
from pyapp.model.attrs import decode_attr, dtype_name, parse_shape
from pyapp.model.spec import ModelSpec, NodeDef, TensorSpec, WeightGroup, WeightSpec
from pyapp.model.weights import DEQUANTIZED_DTYPES, QUANTIZED_DTYPES, STORED_DTYPES

# attrs that declare a node's output dtype, in the order we trust them
_OUTPUT_DTYPE_ATTRS = ("dtype", "T", "DstT", "output_type", "out_type", "Tout")
_NEVER_OUTPUTS = ("Const", "NoOp")


def parse_model_json(data: bytes | str | dict, source: str = "model.json", values: bool = True) -> ModelSpec:
    """values=False decodes no tensor data (Const values become TensorSpecs): for looking at a model."""
    raw = data if isinstance(data, dict) else _load_json(data, source)
    fmt = raw.get("format")
    if fmt not in (None, "graph-model"):
        raise ModelFormatError(f"{source}: format {fmt!r} is not supported, only TF.js 'graph-model'")
    topology = _field(raw, "modelTopology", dict, source)
    node_list = _field(topology, "node", list, f"{source}: modelTopology")
    nodes = tuple(_node(entry, f"{source}: modelTopology.node[{i}]", values) for i, entry in enumerate(node_list))
    by_name = _index(nodes, source)
    metadata = raw.get("userDefinedMetadata") or {}
    signature = metadata.get("signature") or raw.get("signature") or {}
    return ModelSpec(
        source=source,
        format=fmt,
        generated_by=raw.get("generatedBy"),
        converted_by=raw.get("convertedBy"),
        nodes=nodes,
        inputs=_inputs(signature, nodes, by_name, source),
        outputs=_outputs(signature, nodes, by_name, source),
        groups=_manifest(_field(raw, "weightsManifest", list, source), source),
        user_defined_metadata=metadata,
        raw=raw,
        versions=topology.get("versions") or {},
    )


def _load_json(data: bytes | str, source: str) -> dict:
    try:
        raw = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except json.JSONDecodeError as e:
        raise ModelFormatError(f"{source}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno} (char {e.pos})") from None
    except UnicodeDecodeError as e:
        raise ModelFormatError(f"{source}: not UTF-8 text: {e}") from None
    if not isinstance(raw, dict):
        raise ModelFormatError(f"{source}: expected a JSON object, got {type(raw).__name__}")
    return raw


def _node(entry: dict, where: str, values: bool) -> NodeDef:
    name = _field(entry, "name", str, where)
    where = f"{where} ({name!r})"
    attrs = entry.get("attr") or {}
    return NodeDef(
        name=name,
        op=_field(entry, "op", str, where),
        inputs=tuple(entry.get("input") or ()),
        attrs={key: decode_attr(value, f"{where} attr {key!r}", values) for key, value in attrs.items()},
        device=entry.get("device", ""),
    )


def _index(nodes: tuple[NodeDef, ...], source: str) -> dict[str, NodeDef]:
    by_name = {}
    for node in nodes:
        if node.name in by_name:
            raise ModelFormatError(f"{source}: two nodes are named {node.name!r}")
        by_name[node.name] = node
    for node in nodes:
        for ref in node.inputs:
            if node_name(ref) not in by_name:
                raise ModelFormatError(f"{source}: node {node.name!r} ({node.op}) reads {ref!r}, which is no node")
    return by_name


def node_name(ref: str) -> str:
    """The node an input reference reads: "^x" → "x", "x:1" → "x"."""
    return ref.lstrip("^").split(":")[0]


def _inputs(signature: dict, nodes, by_name, source: str) -> tuple[TensorSpec, ...]:
    entries = signature.get("inputs") or {}
    if entries:
        return tuple(_signature_spec(key, entry, by_name, f"{source}: signature.inputs") for key, entry in entries.items())
    return tuple(_node_spec(node.name, node) for node in nodes if node.op == "Placeholder")


def _outputs(signature: dict, nodes, by_name, source: str) -> tuple[TensorSpec, ...]:
    entries = signature.get("outputs") or {}
    if entries:
        return tuple(_signature_spec(key, entry, by_name, f"{source}: signature.outputs") for key, entry in entries.items())
    consumed = {node_name(ref) for node in nodes for ref in node.inputs}
    return tuple(_node_spec(n.name, n) for n in nodes if n.name not in consumed and n.op not in _NEVER_OUTPUTS)


def _signature_spec(key: str, entry: dict, by_name: dict[str, NodeDef], where: str) -> TensorSpec:
    where = f"{where}[{key!r}]"
    name = _field(entry, "name", str, where)
    name = name[:-2] if name.endswith(":0") else name
    if node_name(name) not in by_name:
        raise ModelFormatError(f"{where}: names {name!r}, which is no node")
    spec = _node_spec(name, by_name[node_name(name)])
    dtype = dtype_name(entry["dtype"], where) if "dtype" in entry else spec.dtype
    shape = parse_shape(entry["tensorShape"], where) if "tensorShape" in entry else spec.shape
    return TensorSpec(name, dtype, shape)


def _node_spec(name: str, node: NodeDef) -> TensorSpec:
    dtype = next((node.attrs[key] for key in _OUTPUT_DTYPE_ATTRS if isinstance(node.attrs.get(key), str)), "float32")
    shape = node.attrs.get("shape") if node.op == "Placeholder" else None
    return TensorSpec(name, dtype, shape)


def _manifest(manifest: list, source: str) -> tuple[WeightGroup, ...]:
    if not isinstance(manifest, list):
        raise ModelFormatError(f"{source}: weightsManifest should be a list of groups")
    groups, seen = [], set()
    for index, group in enumerate(manifest):
        where = f"{source}: weightsManifest[{index}]"
        paths, entries = _field(group, "paths", list, where), _field(group, "weights", list, where)
        weights, offset = [], 0
        for entry_index, entry in enumerate(entries):
            weight = _weight_spec(entry, index, offset, f"{where}.weights[{entry_index}]")
            if weight.name in seen:
                raise ModelFormatError(f"{where}: weight {weight.name!r} appears twice in the manifest")
            seen.add(weight.name)
            weights.append(weight)
            offset = None if weight.byte_size is None or offset is None else offset + weight.byte_size
        groups.append(WeightGroup(tuple(check_shard_path(p, f"{where}.paths[{i}]") for i, p in enumerate(paths)), tuple(weights)))
    return tuple(groups)


def _weight_spec(entry: dict, group: int, offset: int | None, where: str) -> WeightSpec:
    name = _field(entry, "name", str, where)
    shape = tuple(_field(entry, "shape", list, where))
    dtype = _field(entry, "dtype", str, where)
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ModelFormatError(f"{where}: weight {name!r} has a bad shape {list(shape)}")
    quantization = entry.get("quantization")
    if quantization is not None:
        _check_quantization(name, dtype, quantization, where)
        stored = QUANTIZED_DTYPES[quantization["dtype"]]
    elif dtype == "string":
        stored = None
    elif dtype in STORED_DTYPES:
        stored = STORED_DTYPES[dtype]
    else:
        known = ", ".join([*STORED_DTYPES, "string"])
        raise ModelFormatError(f"{where}: weight {name!r} has unknown dtype {dtype!r} (known: {known})")
    byte_size = None if stored is None else math.prod(shape) * np.dtype(stored).itemsize
    return WeightSpec(name, shape, dtype, quantization, byte_size, group, offset if byte_size is not None else None)


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def check_shard_path(path, where: str) -> str:
    """A shard path must name a file inside model.json's folder (or URL prefix), however it is
    read: as a file path, or resolved against model.json's URL, percent-encoding decoded."""
    if not isinstance(path, str) or not path:
        raise ModelFormatError(f"{where}: a shard path should be a non-empty string, got {path!r}")
    decoded = path
    while (unquoted := urllib.parse.unquote(decoded)) != decoded:
        decoded = unquoted
    problem = next((why for bad, why in (
        (any(ord(c) < 32 for c in decoded), "holds a control character (NUL, newline...)"),
        ("\\" in decoded, "holds a backslash"),
        (decoded.startswith("/"), "is absolute (or names a host)"),
        (_URL_SCHEME.match(decoded), "names a URL scheme or drive"),
        (".." in decoded.split("/"), "climbs out of the model's folder (..)"),
        (decoded.endswith("/"), "names a folder"),
    ) if bad), None)
    if problem:
        raise ModelFormatError(f"{where}: shard path {path!r} {problem}: shards must lie in the model's own folder")
    return path


def _check_quantization(name: str, dtype: str, quantization: dict, where: str) -> None:
    qdtype = quantization.get("dtype") if isinstance(quantization, dict) else None
    if qdtype not in QUANTIZED_DTYPES:
        raise ModelFormatError(
            f"{where}: weight {name!r} has unknown quantization dtype {qdtype!r} (known: {', '.join(QUANTIZED_DTYPES)})"
        )
    if dtype not in DEQUANTIZED_DTYPES[qdtype]:
        raise ModelFormatError(f"{where}: weight {name!r} is quantized as {qdtype}, which cannot become {dtype}")
    if qdtype != "float16" and not all(isinstance(quantization.get(k), (int, float)) for k in ("min", "scale")):
        raise ModelFormatError(f"{where}: weight {name!r} is quantized as {qdtype} but lacks numeric min and scale")


def _field(obj: dict, key: str, kind: type, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise ModelFormatError(f"{where}: missing field {key!r}")
    if not isinstance(obj[key], kind):
        raise ModelFormatError(f"{where}.{key} should be a {kind.__name__}, got {type(obj[key]).__name__}")
    return obj[key]
