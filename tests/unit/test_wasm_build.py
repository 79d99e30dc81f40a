"""kernels.wasm is what its C sources build to with the pinned toolchain, and a side module that
needs nothing but Pyodide's memory (no libc, no data, no stack)."""

import hashlib
import shutil

import pytest

from tools import wasm_build


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    if not (shutil.which(wasm_build.CLANG) and shutil.which(wasm_build.LLD)):
        pytest.fail(f"{wasm_build.CLANG} / {wasm_build.LLD} missing: `make wasm-toolchain` installs them (make test does)")
    out = tmp_path_factory.mktemp("wasm") / "kernels.wasm"
    wasm_build.build(out, out.parent)
    return out.read_bytes()


def test_committed_module_is_the_build_of_its_sources(rebuilt):
    assert hashlib.sha256(rebuilt).hexdigest() == hashlib.sha256(wasm_build.MODULE.read_bytes()).hexdigest()


def test_two_builds_are_byte_identical(rebuilt, tmp_path):
    again = tmp_path / "kernels.wasm"
    wasm_build.build(again, tmp_path)
    assert again.read_bytes() == rebuilt


def test_module_imports_only_memory_and_exports_every_kernel():
    from pyapp.backends.wasm.module import SIGNATURES

    data = wasm_build.MODULE.read_bytes()
    parts = wasm_build.sections(data)
    assert "dylink.0" in parts
    assert wasm_build.imports(parts[2]) <= wasm_build.ALLOWED_IMPORTS
    assert ("env", "__stack_pointer") not in wasm_build.imports(parts[2])
    for name in SIGNATURES:
        assert name.encode() in parts[7], name  # the export section names it


def test_check_rejects_a_module_that_uses_the_stack():
    data = wasm_build.MODULE.read_bytes()
    parts = wasm_build.sections(data)
    body = parts[2]
    # one more import, a global: env.__stack_pointer (i32, mutable)
    count, i = wasm_build.leb(body, 0)
    extra = bytes([3]) + b"env" + bytes([15]) + b"__stack_pointer" + bytes([3, 0x7F, 1])
    patched_body = bytes([count + 1]) + body[i:] + extra
    start = data.index(body)
    size_at = start - 1  # the section size is one LEB byte for this small section
    assert data[size_at] == len(body)
    patched = data[:size_at] + bytes([len(patched_body)]) + patched_body + data[start + len(body):]
    with pytest.raises(SystemExit, match="__stack_pointer"):
        wasm_build.check_module(patched)
