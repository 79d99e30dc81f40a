"""Precompressed `.br` and `.gz` siblings, made once at setup; the server sends them with
Content-Encoding to clients that accept them (pyapp/server/static.py).

Brotli comes from the `brotli` package on PyPI: the bindings published by the Brotli authors
(google/brotli), maintained with the C library itself and shipped as binary wheels, so setup
compiles nothing. Quality 11 with a 16 MB window is the slowest setting and the smallest output:
it is paid once per setup, and every page load gets the smaller transfer.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli

from .assets import _write

# Kinds worth compressing: runtime code, archives (repacked stored, see pyapp/bytecode.py),
# model.json and weight shards. Shards are binary floats and rarely shrink much: MIN_SAVING decides.
SUFFIXES = (".wasm", ".js", ".mjs", ".zip", ".whl", ".json", ".bin")
MIN_SAVING = 0.10  # a sibling that saves less than this is not worth a decode on every load
BROTLI = {"quality": 11, "lgwin": 24}
GZIP_LEVEL = 9

CODERS = {
    ".br": lambda data: brotli.compress(data, **BROTLI),
    ".gz": lambda data: gzip.compress(data, GZIP_LEVEL, mtime=0),
}


def write_siblings(path: Path) -> list[Path]:
    """`path.br` / `path.gz` for each coding that saves at least MIN_SAVING; returns those written.
    Written after `path`, so never older than it (the server ignores an older sibling)."""
    data = path.read_bytes()
    written = []
    for suffix, compress in CODERS.items():
        packed = compress(data)
        if len(packed) <= len(data) * (1 - MIN_SAVING):
            sibling = path.with_name(path.name + suffix)
            _write(sibling, packed)
            written.append(sibling)
    return written


def compress_folder(folder: Path) -> list[Path]:
    """Siblings for every file of a compressible kind under `folder` (dot folders are scratch)."""
    written = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and path.suffix in SUFFIXES and not any(p.startswith(".") for p in parts):
            written += write_siblings(path)
    return written
