"""What the page downloads at boot, made fast to load: archives compiled to .pyc by Pyodide's own
interpreter and repacked stored, plus precompressed siblings.

    served-pyodide/   (in the asset cache) the verified Pyodide core and wheels, compiled, with a
                      lock file whose sha256s are those of the compiled wheels; the stdlib in two
                      archives, what a boot imports and the rest (fetched when first imported);
                      numpy's wheel likewise
    dist/served/      the pyapp wheel that `make` built, compiled

Each is a derived folder (pyapp/assets_derived.py): recorded file by file, rebuilt on any mismatch,
and offered by the server only while it matches its record.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from . import bytecode
from .assets import REPO_ROOT, _write, say
from .assets_compress import compress_folder
from .assets_derived import derive, sha256_hex, verified
from .errors import AssetError

NODE_SCRIPT = REPO_ROOT / "tools" / "pyodide_run.mjs"
STDLIB_PREFIX = "/lib/python312.zip/"  # where Pyodide mounts python_stdlib.zip
SITE_PACKAGES = "/lib/python3.12/site-packages/"
# What a boot, the pages' modules and loading a model on every backend import (tests/e2e/test_boot.py
# checks it against a real worker): the standard library's top-level modules and packages, with those
# CPython has frozen, and numpy's subpackages. The rest of each goes to an archive the worker fetches
# only when an import needs it (pyapp/browser/more_archives.py): 1.4 of the stdlib's 2.6 MB brotli,
# 0.96 of numpy's 2.3 MB, numpy's headers, stubs and test modules included.
STDLIB_AT_BOOT = frozenset("""
    __future__ _collections_abc _compat_pickle _compression _pyodide _sitebuiltins _weakrefset abc argparse
    ast asyncio base64 bisect bz2 codecs collections concurrent contextlib contextvars copy copyreg ctypes
    dataclasses datetime dis encodings enum fnmatch functools genericpath gettext hashlib heapq importlib
    inspect io ipaddress json keyword linecache locale logging numbers opcode operator os pathlib pickle
    platform posixpath pyodide random re reprlib runpy selectors shutil signal site socket stat string
    struct subprocess tempfile textwrap threading token tokenize traceback types typing urllib warnings
    weakref zipfile zipimport
""".split())
STDLIB_MORE = "python_stdlib_more.zip"  # the worker keeps an archive at /lib/NAME: .pyc compiled for it
NUMPY_AT_BOOT = frozenset({"_core", "_typing", "_utils", "lib", "linalg", "matrixlib"})
NUMPY_MORE = "numpy_more.zip"
NOT_IMPORTED = (".pyi", ".pxd", ".pyx", ".h", ".c", ".a")  # stubs, Cython and C build files
RUNTIME_FILES = ("pyodide.asm.wasm", "pyodide.asm.js", "pyodide.mjs", "pyodide.js",
                 "pyodide.mjs.map", "pyodide.js.map")
BYTECODE_VERSION = 2  # bump when bytecode.py changes what it writes: derived folders are rebuilt


def compile_archives(pyodide_dir: Path, jobs: list[tuple[Path, Path, str]]) -> None:
    """(source, target, run-time prefix) archives compiled by the Pyodide in `pyodide_dir` under
    Node, offline. Node sees only a scratch folder holding copies (sources named differently)."""
    with tempfile.TemporaryDirectory(prefix="pyapp-pyc-") as scratch:
        work = Path(scratch)
        shutil.copy(bytecode.__file__, work / "bytecode.py")
        (work / "in").mkdir()
        (work / "out").mkdir()
        spec = []
        for source, _, prefix in jobs:
            shutil.copy(source, work / "in" / source.name)
            spec.append({"source": str(work / "in" / source.name),
                         "target": str(work / "out" / source.name), "prefix": prefix})
        (work / "jobs.json").write_text(json.dumps(spec))
        cmd = ["node", str(NODE_SCRIPT), str(pyodide_dir.resolve()), str(work),
               str(work / "bytecode.py"), str(work / "jobs.json")]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True)
        except FileNotFoundError as e:
            raise AssetError("cannot compile Python to .pyc: node is not installed") from e
        if proc.returncode != 0:
            tail = "\n  ".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            raise AssetError(f"compiling .pyc with Pyodide under Node failed:\n  {tail}")
        for line in proc.stdout.splitlines():
            say(f"  {line}")
        for source, target, _ in jobs:
            _write(target, (work / "out" / source.name).read_bytes())


def stdlib_later(name: str) -> bool:
    """Whether a stdlib member (as the original zip names it) goes to the second archive."""
    return name.split("/")[0].removesuffix(".py") not in STDLIB_AT_BOOT


def numpy_later(name: str) -> bool:
    """Whether a member of numpy's compiled wheel goes to its second archive: the subpackages no boot
    imports, files nothing imports, and the test extension modules (but _multiarray_tests, which
    numpy's own import loads)."""
    parts = name.split("/")
    if parts[0] != "numpy":
        return False
    if name.endswith(NOT_IMPORTED) or (len(parts) > 2 and parts[1] not in NUMPY_AT_BOOT):
        return True
    return parts[1] == "_core" and "_tests." in parts[-1] and not parts[-1].startswith("_multiarray_tests.")


def module_name(member: str) -> str | None:
    """The module a .py, .pyc or extension member is, e.g. numpy/random/__init__.pyc -> numpy.random."""
    if member.endswith(".so"):
        stem = member.split(".", 1)[0]  # numpy/random/_generator.cpython-312-wasm32-emscripten.so
    elif member.endswith((".py", ".pyc")):
        stem = member.rsplit(".", 1)[0]
    else:
        return None
    return stem.removesuffix("/__init__").replace("/", ".")


def split_archive(source: Path, boot: Path, later_archive: Path, later) -> list[str]:
    """source's members into two stored archives: `later(name)` ones into `later_archive`, the rest into
    `boot`; returns the modules `later_archive` holds."""
    names = set()
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(boot, "w") as at_boot, \
            zipfile.ZipFile(later_archive, "w") as at_import:
        for info in archive.infolist():
            goes_later = later(info.filename)
            if goes_later:
                names.add(module_name(info.filename))
            (at_import if goes_later else at_boot).writestr(info, archive.read(info))
    return sorted(n for n in names if n and all(part.isidentifier() for part in n.split(".")))


def build_served_pyodide(originals: Path, out: Path) -> None:
    """`originals` (the verified core and wheels of the `pyodide` step) compiled into `out`; the stdlib
    and numpy's wheel split in two, the second archives named in the lock file under "pyapp"."""
    lock = json.loads((originals / "pyodide-lock.json").read_text())
    wheels = [entry["file_name"] for entry in lock["packages"].values()]
    say("compiling the stdlib and the Pyodide wheels to .pyc (Node + Pyodide) ...")
    with tempfile.TemporaryDirectory(prefix="pyapp-split-") as scratch:
        boot, more = Path(scratch) / "python_stdlib.zip", Path(scratch) / STDLIB_MORE
        stdlib_names = split_archive(originals / "python_stdlib.zip", boot, more, stdlib_later)
        compile_archives(originals, [(boot, out / boot.name, STDLIB_PREFIX),
                                     (more, out / more.name, f"/lib/{STDLIB_MORE}/")]
                         + [(originals / name, out / name, SITE_PACKAGES) for name in wheels])
        numpy_wheel = out / lock["packages"]["numpy"]["file_name"]
        compiled = Path(scratch) / numpy_wheel.name
        shutil.move(numpy_wheel, compiled)  # its .pyc name site-packages paths: split after compiling
        numpy_names = split_archive(compiled, numpy_wheel, out / NUMPY_MORE, numpy_later)
    for entry in lock["packages"].values():  # Pyodide checks each wheel it loads against these
        entry["sha256"] = sha256_hex(out / entry["file_name"])
    # Pyodide reads only "info" and "packages"; the worker reads this
    lock["pyapp"] = {"more": [
        {"file_name": STDLIB_MORE, "sha256": sha256_hex(out / STDLIB_MORE), "install": "sys.path",
         "imports": stdlib_names},
        {"file_name": NUMPY_MORE, "sha256": sha256_hex(out / NUMPY_MORE), "install": "site-packages",
         "imports": numpy_names}]}
    _write(out / "pyodide-lock.json", json.dumps(lock, indent=1).encode())
    for name in RUNTIME_FILES:
        shutil.copyfile(originals / name, out / name)
    say("compressing (brotli, gzip) ...")
    compress_folder(out)


def served_pyodide_key(originals: Path) -> dict:
    return {"originals": sha256_hex(originals / "pyodide-lock.json"),
            "stdlib": sha256_hex(originals / "python_stdlib.zip"), "bytecode": BYTECODE_VERSION,
            "at_boot": sorted(STDLIB_AT_BOOT) + sorted("numpy." + n for n in NUMPY_AT_BOOT)}


def provision_served_pyodide(root: Path) -> dict:
    originals = root / "pyodide"
    return derive(root / "stamps" / "served-pyodide.json", root / "served-pyodide",
                  served_pyodide_key(originals), lambda out: build_served_pyodide(originals, out))


def served_pyodide(root: Path) -> dict | None:
    """The served-pyodide record while the folder matches it (and the originals it was made from)."""
    originals = root / "pyodide"
    if not (originals / "pyodide-lock.json").exists():
        return None
    return verified(root / "stamps" / "served-pyodide.json", root / "served-pyodide",
                    served_pyodide_key(originals))


def wheel_paths(wheel: Path) -> tuple[Path, Path]:
    """(record, folder) of a wheel's compiled form: dist/served.json, dist/served/."""
    return wheel.parent / "served.json", wheel.parent / "served"


def wheel_key(wheel: Path) -> dict:
    return {"wheel": wheel.name, "sha256": sha256_hex(wheel), "bytecode": BYTECODE_VERSION}


def provision_served_wheel(root: Path, wheel: Path) -> dict:
    def build(out: Path) -> None:
        say(f"compiling {wheel.name} to .pyc (Node + Pyodide) ...")
        compile_archives(root / "pyodide", [(wheel, out / wheel.name, SITE_PACKAGES)])
        compress_folder(out)

    record, folder = wheel_paths(wheel)
    return derive(record, folder, wheel_key(wheel), build)


def served_wheel(wheel: Path) -> Path | None:
    """The compiled form of exactly this wheel, if it exists and matches its record; a wheel rebuilt
    since (or a tampered compiled one) gets None: its bytecode would be stale."""
    record, folder = wheel_paths(wheel)
    if not wheel.exists() or verified(record, folder, wheel_key(wheel)) is None:
        return None
    return folder / wheel.name
