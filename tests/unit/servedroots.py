"""Small files in every root the server has, for the server tests."""

import os
from pathlib import Path

JS = "export const answer = 42;\n" * 100  # over the gzip threshold
BIN = bytes(range(256)) * 8


def make_roots(tmp_path: Path) -> dict[str, Path]:
    roots = {name: tmp_path / name for name in ("static", "pyodide", "tfjs", "wheels", "models")}
    for root in roots.values():
        root.mkdir()
    (roots["static"] / "index.html").write_text("<!doctype html><title>pyapp</title>")
    (roots["static"] / "app.js").write_text(JS)
    (roots["static"] / "sub").mkdir()
    (roots["static"] / "sub" / "small.json").write_text('{"a": 1}')
    (roots["pyodide"] / "pyodide.asm.wasm").write_bytes(b"\0asm" + bytes(4000))
    (roots["pyodide"] / "pyodide.mjs").write_text(JS)
    (roots["models"] / "selfie").mkdir()
    (roots["models"] / "selfie" / "model.json").write_text('{"format": "graph-model"}' + " " * 2000)
    (roots["models"] / "selfie" / "selfie.bin").write_bytes(BIN)
    (roots["wheels"] / "pyapp-0.1.0-py3-none-any.whl").write_bytes(b"PK" + bytes(100))
    (tmp_path / "secret.txt").write_text("outside every root")
    os.symlink(tmp_path / "secret.txt", roots["static"] / "link-out.txt")
    os.symlink(roots["static"] / "app.js", roots["static"] / "link-in.js")
    return roots
