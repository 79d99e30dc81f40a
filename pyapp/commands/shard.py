"""`pyapp shard MODEL.json OUT_DIR [--shard-size 4MB]`: the same model with its weight bytes, unchanged,
cut into shards named as tfjs-converter names them, each listed with its sha256 in model.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyapp.errors import PyappError
from pyapp.model import ModelSpec, decode_weights, parse_model_json
from pyapp.model.shards import (DEFAULT_SHARD_BYTES, check_out_dir, group_bytes, parse_size, read_shards, shard_records,
                                write_model)


def read_model(source: str | Path, out_dir: str | Path, force: bool = False) -> tuple[ModelSpec, dict[str, bytes], dict]:
    """The model's spec, shard bytes and decoded weights (which checks the shards against the
    manifest); refuses an OUT_DIR that is the model's own folder, a file, or (unless force) not empty."""
    source = Path(source)
    if Path(out_dir).resolve() == source.parent.resolve():
        raise PyappError(f"OUT_DIR {out_dir} is the model's own folder: choose another")
    check_out_dir(out_dir, force)
    spec = parse_model_json(source.read_bytes(), str(source))
    shards = read_shards(spec, source.parent)
    return spec, shards, decode_weights(spec, shards)


def shard_model(source: str | Path, out_dir: str | Path, shard_bytes: int = DEFAULT_SHARD_BYTES,
                force: bool = False) -> Path:
    spec, shards, _ = read_model(source, out_dir, force)
    groups = [(group["weights"], data) for group, data in zip(spec.raw["weightsManifest"], group_bytes(spec, shards))]
    return write_model(spec.raw, groups, out_dir, shard_bytes)


def describe_shards(model_json: Path) -> str:
    records = shard_records(parse_model_json(model_json.read_bytes(), str(model_json)).raw)
    lines = [f"  {path}  {r['bytes']:>10,} bytes  sha256 {r['sha256'][:16]}…" for path, r in records.items()]
    return "\n".join([f"{model_json}: {len(records)} shard(s), {sum(r['bytes'] for r in records.values()):,} bytes", *lines])


FORCE_HELP = "write into a non-empty OUT_DIR: its model.json is replaced, and of its files only the shards listed there are removed"


def size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pyapp shard", description=__doc__)
    parser.add_argument("model", help="path to model.json")
    parser.add_argument("out_dir", help="folder for the new model.json and shards")
    parser.add_argument("--shard-size", type=size_arg, default=DEFAULT_SHARD_BYTES,
                        help="bytes per shard: 4MB (default, as tfjs-converter), 512KB, 65536 …")
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)
    args = parser.parse_args(argv)
    try:
        print(describe_shards(shard_model(args.model, args.out_dir, args.shard_size, args.force)))
    except PyappError as e:
        print(f"pyapp shard: {e}", file=sys.stderr)
        return 1
    return 0
