"""Files made from verified assets (compiled archives, compressed siblings), kept with a record.

The record names what they were made from (`key`) and each file's sha256. Reusing them means
checking every hash again: a missing, extra or changed file means the whole folder is rebuilt, and
until then `verified` says no, so the server does not offer it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Callable


def sha256_hex(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def folder_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256_hex(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def read_record(record: Path) -> dict | None:
    try:
        return json.loads(record.read_text())
    except (OSError, ValueError):
        return None


def verified(record: Path, folder: Path, key: dict | None = None) -> dict | None:
    """The record when `folder` holds exactly the files it lists with their hashes (and it was made
    from `key`, when given); else None."""
    found = read_record(record)
    if not found or (key is not None and found.get("key") != json.loads(json.dumps(key))):
        return None
    if not folder.is_dir() or folder_hashes(folder) != found.get("files"):
        return None
    return found


def derive(record: Path, folder: Path, key: dict, build: Callable[[Path], None]) -> dict:
    """Reuse `folder` if it matches its record for `key`; else empty it, `build(folder)`, record it."""
    found = verified(record, folder, key)
    if found is not None:
        return found
    shutil.rmtree(folder, ignore_errors=True)
    record.unlink(missing_ok=True)  # no record while building: a half-made folder is never offered
    folder.mkdir(parents=True)
    build(folder)
    made = {"key": key, "files": folder_hashes(folder)}
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(made, indent=1, sort_keys=True))
    return json.loads(record.read_text())


def build_id(found: dict) -> str:
    """Short and content-derived: it goes into URLs served as immutable."""
    return hashlib.sha256(json.dumps(found["files"], sort_keys=True).encode()).hexdigest()[:12]
