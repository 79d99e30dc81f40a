"""Weight shards as tfjs-converter writes them, plus a content hash per shard.

A group's weight bytes are cut into shards of `shard_bytes` (the last one shorter), named
`group<g>-shard<i>of<n>.bin`. model.json keeps the TF.js format and gains one key TF.js ignores:

    "pyapp": {"shards": {"group1-shard1of2.bin": {"bytes": 1048576, "sha256": "<hex>"}, ...}}

so a client can verify each shard and cache it by content.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pyapp.errors import ModelFormatError, PyappError, WeightsError
from pyapp.model.fetch import Fetcher, FileFetcher
from pyapp.model.spec import ModelSpec

HASH_KEY = "pyapp"
DEFAULT_SHARD_BYTES = 4 * 1024 * 1024  # tfjs-converter's default ("4 MB")
SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2, "MIB": 1024**2}


def parse_size(text: str) -> int:
    """"1MB" → 1048576 (K/M are binary, as tfjs-converter's "4 MB" = 4194304), "65536" → 65536."""
    number = text.strip().rstrip("BbIiKkMm ")
    unit = text.strip()[len(number):].strip().upper()
    try:
        size = int(float(number) * SIZE_UNITS[unit])
    except (KeyError, ValueError):
        raise ValueError(f"not a size: {text!r} (try 4MB, 512KB or a byte count)") from None
    if size <= 0:
        raise ValueError(f"a shard size must be positive, got {text!r}")
    return size


_SHARD_NAME = re.compile(r"group\d+-shard\d+of\d+\.bin")


def shard_name(group: int, index: int, count: int) -> str:
    return f"group{group + 1}-shard{index + 1}of{count}.bin"


def split(data: bytes, group: int, shard_bytes: int) -> dict[str, bytes]:
    """A group's bytes as {shard file name: bytes}; an empty group still gets one (empty) shard."""
    count = max(1, -(-len(data) // shard_bytes))
    return {shard_name(group, i, count): data[i * shard_bytes:(i + 1) * shard_bytes] for i in range(count)}


def shard_record(data: bytes) -> dict:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def shard_records(raw: dict) -> dict[str, dict]:
    """model.json's {shard path: {"bytes", "sha256"}} under HASH_KEY; {} when it has none."""
    section = raw.get(HASH_KEY) or {}
    records = (section.get("shards") if isinstance(section, dict) else section) or {}
    if not isinstance(records, dict):
        raise ModelFormatError(f"{HASH_KEY}.shards should map shard paths to {{bytes, sha256}}, got {records!r}")
    for path, record in records.items():
        if not (isinstance(record, dict) and _is_size(record.get("bytes")) and _is_sha256(record.get("sha256"))):
            raise ModelFormatError(f"{HASH_KEY}.shards[{path!r}] should be {{bytes: int, sha256: hex}}, got {record!r}")
    return records


def _is_size(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_sha256(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def verify_shard(path: str, data: bytes, size: int | None, sha256: str | None) -> None:
    """A shard against what the manifest promises: its length, then (when listed) its sha256."""
    if size is not None and len(data) != size:
        problem = "truncated" if len(data) < size else "too long"
        raise WeightsError(f"shard {path}: {len(data):,} bytes, the manifest says {size:,} ({problem})")
    if sha256 is not None and (got := hashlib.sha256(data).hexdigest()) != sha256:
        raise WeightsError(f"shard {path}: sha256 {got[:16]}… is not the manifest's {sha256[:16]}… (corrupt or changed)")


def fetch_shards(spec: ModelSpec, fetcher: Fetcher) -> dict[str, bytes]:
    """Every shard the manifest lists, each verified against its record when model.json has one."""
    records, shards = shard_records(spec.raw), {}
    for path in spec.shard_paths():
        shards[path] = fetcher.fetch(path)
        if (record := records.get(path)) is not None:
            verify_shard(path, shards[path], record["bytes"], record["sha256"])
    return shards


def read_shards(spec: ModelSpec, folder: str | Path) -> dict[str, bytes]:
    return fetch_shards(spec, FileFetcher(folder, spec.source))


def group_bytes(spec: ModelSpec, shards: dict[str, bytes]) -> list[bytes]:
    """Each weight group's shards concatenated in manifest order."""
    return [b"".join(shards[path] for path in group.paths) for group in spec.groups]


def check_out_dir(out_dir: str | Path, force: bool) -> None:
    """OUT_DIR must be a folder, or not exist yet; a non-empty one only with force (its model.json is replaced)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise PyappError(f"OUT_DIR {out} is a file, not a folder")
    entries = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if entries and not force:
        listing = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
        raise PyappError(f"OUT_DIR {out} is not empty ({listing}): choose an empty folder, or pass --force to write "
                         "there (replacing its model.json and removing only the shards that model.json lists)")


def write_model(raw: dict, groups: list[tuple[list[dict], bytes]], out_dir: str | Path,
                shard_bytes: int = DEFAULT_SHARD_BYTES) -> Path:
    """model.json (raw, with a new weightsManifest and shard hashes) and its shards, in out_dir.
    groups: per weight group, its manifest entries and their bytes back to back. Of the files already
    there, only the shards listed in a model.json pyapp wrote there before are removed."""
    out = Path(out_dir)
    try:
        stale = _written_shards(out)
        out.mkdir(parents=True, exist_ok=True)
        manifest, records = [], {}
        for index, (weights, data) in enumerate(groups):
            shards = split(data, index, shard_bytes)
            for name, chunk in shards.items():
                (out / name).write_bytes(chunk)
                records[name] = shard_record(chunk)
            manifest.append({"paths": list(shards), "weights": weights})
        for name in stale - set(records):
            (out / name).unlink(missing_ok=True)
        model = {**raw, "weightsManifest": manifest, HASH_KEY: {"shards": records}}
        (out / "model.json").write_text(json.dumps(model))
    except OSError as e:
        raise PyappError(f"cannot write the model into {out}: {e.strerror or e}") from None
    return out / "model.json"


def _written_shards(out: Path) -> set[str]:
    """The shards out/model.json lists under HASH_KEY (pyapp wrote them), named as pyapp names them."""
    try:
        records = shard_records(json.loads((out / "model.json").read_bytes()))
    except (OSError, ValueError, AttributeError, ModelFormatError):
        return set()
    return {name for name in records if _SHARD_NAME.fullmatch(name) and (out / name).is_file()}
