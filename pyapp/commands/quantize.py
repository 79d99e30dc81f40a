"""`pyapp quantize MODEL.json OUT_DIR --dtype float16|uint8|uint16`: float32 weights stored as
tfjs-converter stores them, then size before/after and the largest output error against the original
model on reference inputs (`--input X.npy`, repeatable; else seeded random ones).

float16 is a plain cast. uint8/uint16 are affine: value = q * scale + min over the weight's own
[min, max], and when that range holds 0 it is nudged so that 0.0 is exactly some integer q (padding
and ReLU zeros stay zeros). Other weights (int32, bool) are copied as they are stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pyapp.api import GraphModel
from pyapp.errors import InputError, PyappError
from pyapp.model import ModelSpec, WeightGroup, load_model_spec, parse_model_json
from pyapp.model.limits import check_tensor_size
from pyapp.model.shards import DEFAULT_SHARD_BYTES, group_bytes, write_model
from pyapp.progress import progress
from pyapp.commands.shard import FORCE_HELP, describe_shards, read_model, size_arg

DTYPES = ("float16", "uint8", "uint16")
SEED = 0


def quantize_array(values: np.ndarray, dtype: str) -> tuple[np.ndarray, dict]:
    """tfjs-converter's quantize_weights: the stored values and the manifest's quantization entry."""
    if dtype == "float16":
        return values.astype("<f2"), {"dtype": "float16", "original_dtype": "float32"}
    top = np.iinfo(dtype).max
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if lo == hi:  # one value: every q is 0 and min carries it
        return np.zeros(values.shape, f"<{np.dtype(dtype).str[1:]}"), \
            {"dtype": dtype, "min": lo, "scale": 1.0, "original_dtype": "float32"}
    scale = (hi - lo) / top
    if lo <= 0 <= hi:  # nudge so that 0.0 == q * scale + min for an integer q
        lo = -float(np.round(-lo / scale)) * scale
        hi = top * scale + lo
    stored = np.round((values.astype(np.float64).clip(lo, hi) - lo) / scale)
    return stored.astype(f"<{np.dtype(dtype).str[1:]}"), {"dtype": dtype, "min": lo, "scale": scale, "original_dtype": "float32"}


def quantize_group(group: WeightGroup, entries: list[dict], data: bytes, weights: dict, dtype: str) -> tuple[list[dict], bytes]:
    out_entries, chunks = [], []
    for entry, spec in zip(entries, group.weights):
        if spec.dtype == "float32":
            stored, quantization = quantize_array(weights[spec.name], dtype)
            out_entries.append({**entry, "quantization": quantization})
            chunks.append(stored.tobytes())
            continue
        if spec.offset is None:
            raise PyappError(f"weight {spec.name!r} follows a string weight in its group: quantize cannot place it")
        out_entries.append(entry)
        chunks.append(data[spec.offset:spec.offset + spec.byte_size])
    return out_entries, b"".join(chunks)


def quantize_model(source: str | Path, out_dir: str | Path, dtype: str, shard_bytes: int = DEFAULT_SHARD_BYTES,
                   force: bool = False) -> Path:
    if dtype not in DTYPES:
        raise PyappError(f"cannot quantize to {dtype!r}: choose one of {', '.join(DTYPES)}")
    spec, shards, weights = read_model(source, out_dir, force)
    groups = [quantize_group(group, raw["weights"], data, weights, dtype)
              for group, raw, data in progress(list(zip(spec.groups, spec.raw["weightsManifest"], group_bytes(spec, shards))),
                                               f"quantize {dtype}")]
    return write_model(spec.raw, groups, out_dir, shard_bytes)


def random_inputs(spec: ModelSpec) -> dict[str, np.ndarray]:
    """Seeded inputs for the model's signature (unknown batch → 1): floats in [0, 1), integers in [0, 255]."""
    rng, feeds = np.random.default_rng(SEED), {}
    for t in spec.inputs:
        if t.shape is None or None in t.shape[1:]:
            raise InputError(f"input {t.name!r} has shape {t.shape}: pass reference inputs with --input")
        shape = tuple(1 if d is None else d for d in t.shape)
        check_tensor_size(shape, t.dtype, f"input {t.name!r}")
        kind = np.dtype(t.dtype).kind
        feeds[t.name] = rng.integers(0, 256, shape).astype(t.dtype) if kind in "iu" else rng.random(shape).astype(t.dtype)
    return feeds


def output_errors(original: GraphModel, quantized: GraphModel, inputs: list) -> dict[str, dict]:
    """Per output: the largest |quantized - original| over the inputs, and the original's value range there."""
    errors = {name: {"max_abs_error": 0.0, "range": 0.0} for name in original.output_names}
    names = list(original.output_names)
    for x in progress(inputs, "compare outputs"):
        want, got = original.predict(x, names), quantized.predict(x, names)
        for name in names:
            diff = np.abs(got[name].astype(np.float64) - want[name].astype(np.float64))
            errors[name]["max_abs_error"] = max(errors[name]["max_abs_error"], float(diff.max(initial=0.0)))
            errors[name]["range"] = max(errors[name]["range"], float(np.ptp(want[name])) if want[name].size else 0.0)
    return errors


def report(source: Path, result: Path, errors: dict[str, dict]) -> str:
    before = sum(f.stat().st_size for f in (source.parent / p for p in load_shard_paths(source)))
    after = sum(f.stat().st_size for f in (result.parent / p for p in load_shard_paths(result)))
    lines = [f"weights    {before:,} → {after:,} bytes ({after / before:.1%})" if before else f"weights    {after:,} bytes",
             describe_shards(result), "max output error on the reference inputs:"]
    lines += [f"  {name:40s} {e['max_abs_error']:.3g} (output range {e['range']:.4g}, "
              f"{e['max_abs_error'] / e['range'] if e['range'] else 0:.2%} of it)" for name, e in errors.items()]
    return "\n".join(lines)


def load_shard_paths(model_json: Path) -> list[str]:
    return parse_model_json(model_json.read_bytes(), str(model_json)).shard_paths()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pyapp quantize", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="path to model.json")
    parser.add_argument("out_dir", help="folder for the quantized model.json and shards")
    parser.add_argument("--dtype", required=True, choices=DTYPES)
    parser.add_argument("--shard-size", type=size_arg, default=DEFAULT_SHARD_BYTES, help="bytes per shard (default 4MB)")
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)
    parser.add_argument("--input", action="append", default=[], metavar="NPY",
                        help="a reference input (.npy) for a one-input model; repeatable")
    args = parser.parse_args(argv)
    try:
        source = Path(args.model)
        result = quantize_model(source, args.out_dir, args.dtype, args.shard_size, args.force)
        original, quantized = (GraphModel.from_spec(*load_model_spec(p)) for p in (source, result))
        inputs = [np.load(f) for f in args.input] or [random_inputs(original.spec)]
        print(report(source, result, output_errors(original, quantized, inputs)))
    except PyappError as e:
        print(f"pyapp quantize: {e}", file=sys.stderr)
        return 1
    return 0
