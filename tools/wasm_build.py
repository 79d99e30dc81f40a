"""Builds pyapp/backends/wasm/kernels.wasm from the C kernels next to it, with Debian's clang 14 + lld 14
(`make wasm-toolchain` installs them). The .wasm is committed, so the wheel and `make run` need no
compiler; `make test` runs `--check`, which rebuilds and requires the same sha256.

    python -m tools.wasm_build            # rebuild the committed module
    python -m tools.wasm_build --check    # rebuild into a temporary folder, compare byte for byte

The result is an Emscripten side module (dylink.0): Pyodide's dlopen (ctypes.CDLL) links it against
the interpreter's own memory. Checked here: its imports are only that memory and the memory / table
bases, it has no data segment and never touches the stack pointer (kernels keep to registers).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pyapp" / "backends" / "wasm"
SOURCES = PACKAGE / "kernels"
MODULE = PACKAGE / "kernels.wasm"
CLANG, LLD = "clang-14", "wasm-ld-14"
VERSION = "clang version 14.0.6"  # Debian bookworm's clang-14 1:14.0.6-12: other versions emit other bytes
CFLAGS = ["--target=wasm32", "-msimd128", "-O3", "-mllvm", "-disable-lsr", "-fPIC", "-nostdlib", "-ffreestanding", "-fno-builtin",
          "-Wall", "-Werror", f"-ffile-prefix-map={ROOT}=."]
ALLOWED_IMPORTS = {("env", "memory"), ("env", "__memory_base"), ("env", "__table_base"), ("env", "__indirect_function_table")}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} is missing: `make wasm-toolchain` installs Debian's clang-14 and lld-14")
    return path


def build(out: Path, work: Path) -> None:
    version = subprocess.run([tool(CLANG), "--version"], capture_output=True, text=True, check=True).stdout
    if VERSION not in version:
        sys.exit(f"{CLANG} is not {VERSION}: {version.splitlines()[0]}")
    objects = []
    for source in sorted(SOURCES.glob("*.c")):
        obj = work / (source.stem + ".o")
        subprocess.run([tool(CLANG), *CFLAGS, "-c", str(source.relative_to(ROOT)), "-o", str(obj)], cwd=ROOT, check=True)
        objects.append(str(obj))
    subprocess.run([tool(LLD), "-shared", "--experimental-pic", "--strip-all", "-o", str(out), *objects], check=True)
    check_module(out.read_bytes())


def leb(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def name_at(data: bytes, i: int) -> tuple[str, int]:
    n, i = leb(data, i)
    return data[i:i + n].decode(), i + n


def sections(data: bytes) -> dict:
    """{section id (custom: its name): body} of a wasm binary."""
    out, i = {}, 8
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        body = data[i:i + size]
        out[name_at(body, 0)[0] if sid == 0 else sid] = body
        i += size
    return out


def imports(body: bytes) -> set[tuple[str, str]]:
    count, i = leb(body, 0)
    found = set()
    for _ in range(count):
        module, i = name_at(body, i)
        field, i = name_at(body, i)
        kind = body[i]
        i += 1
        if kind == 0:  # function: type index
            _, i = leb(body, i)
        elif kind == 1:  # table: reftype, limits
            flags = body[i + 1]
            _, i = leb(body, i + 2)
            if flags & 1:
                _, i = leb(body, i)
        elif kind == 2:  # memory: limits
            flags = body[i]
            _, i = leb(body, i + 1)
            if flags & 1:
                _, i = leb(body, i)
        else:  # global: valtype, mutability
            i += 2
        found.add((module, field))
    return found


def check_module(data: bytes) -> None:
    parts = sections(data)
    if "dylink.0" not in parts:
        sys.exit("kernels.wasm has no dylink.0 section: Pyodide cannot load it as a side module")
    if extra := imports(parts.get(2, b"\0")) - ALLOWED_IMPORTS:
        sys.exit(f"kernels.wasm imports {sorted(extra)}: kernels may use no libc and no stack")
    if 11 in parts and parts[11] != b"\0":
        sys.exit("kernels.wasm has a data segment: kernels may hold no static data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="rebuild elsewhere and compare with the committed module")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "kernels.wasm" if args.check else MODULE
        build(out, Path(tmp))
        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        if args.check:
            committed = hashlib.sha256(MODULE.read_bytes()).hexdigest() if MODULE.exists() else "none"
            if digest != committed:
                print(f"kernels.wasm is stale: rebuilt {digest}, committed {committed}; run `python -m tools.wasm_build`")
                return 1
        print(f"kernels.wasm {out.stat().st_size} bytes sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
