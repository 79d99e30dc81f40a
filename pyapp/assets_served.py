"""What the page downloads at boot, made fast to load: archives compiled to .pyc by Pyodide's own
interpreter and repacked stored, plus precompressed siblings.

    served-pyodide/   (in the asset cache) the verified Pyodide core and wheels, compiled, with a
                      lock file whose sha256s are those of the compiled wheels; the stdlib in two
                      archives, what a boot imports and the rest (fetched when first imported)
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
# The standard library's top-level modules and packages that a boot, the pages' modules and loading a
# model on every backend import (tests/e2e/test_boot.py checks this against a real worker), and those
# CPython also has frozen. The rest go to a second archive (STDLIB_MORE, 1.4 of the 2.6 MB brotli)
# that the worker fetches only when an import needs it (pyapp/browser/stdlib_more.py).
STDLIB_AT_BOOT = frozenset("""
    __future__ _collections_abc _compat_pickle _compression _pyodide _sitebuiltins _weakrefset abc argparse
    ast asyncio base64 bisect bz2 codecs collections concurrent contextlib contextvars copy copyreg ctypes
    dataclasses datetime dis encodings enum fnmatch functools genericpath gettext hashlib heapq importlib
    inspect io ipaddress json keyword linecache locale logging numbers opcode operator os pathlib pickle
    platform posixpath pyodide random re reprlib runpy selectors shutil signal site socket stat string
    struct subprocess tempfile textwrap threading token tokenize traceback types typing urllib warnings
    weakref zipfile zipimport
""".split())
STDLIB_MORE = "python_stdlib_more.zip"
STDLIB_MORE_PREFIX = "/lib/python312-more.zip/"  # where pyapp/browser/stdlib_more.py puts it
RUNTIME_FILES = ("pyodide.asm.wasm", "pyodide.asm.js", "pyodide.mjs", "pyodide.js",
                 "pyodide.mjs.map", "pyodide.js.map")
BYTECODE_VERSION = 1  # bump when bytecode.py changes what it writes: derived folders are rebuilt


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


def split_stdlib(source: Path, boot: Path, more: Path) -> list[str]:
    """source's members into two archives: those under a STDLIB_AT_BOOT name into `boot`, the rest
    into `more`; returns the top-level names (modules and packages) that `more` holds."""
    names = set()
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(boot, "w") as at_boot, \
            zipfile.ZipFile(more, "w") as later:
        for info in archive.infolist():
            top = info.filename.split("/")[0].removesuffix(".py")
            if top not in STDLIB_AT_BOOT and top.isidentifier():
                names.add(top)
            (at_boot if top in STDLIB_AT_BOOT else later).writestr(info, archive.read(info))
    return sorted(names)


def build_served_pyodide(originals: Path, out: Path) -> None:
    """`originals` (the verified core and wheels of the `pyodide` step) compiled into `out`; the stdlib
    split in two (STDLIB_AT_BOOT), the second archive named in the lock file under "pyapp"."""
    lock = json.loads((originals / "pyodide-lock.json").read_text())
    wheels = [entry["file_name"] for entry in lock["packages"].values()]
    say("compiling the stdlib and the Pyodide wheels to .pyc (Node + Pyodide) ...")
    with tempfile.TemporaryDirectory(prefix="pyapp-stdlib-") as scratch:
        boot, more = Path(scratch) / "python_stdlib.zip", Path(scratch) / STDLIB_MORE
        more_names = split_stdlib(originals / "python_stdlib.zip", boot, more)
        compile_archives(originals, [(boot, out / boot.name, STDLIB_PREFIX), (more, out / more.name, STDLIB_MORE_PREFIX)]
                         + [(originals / name, out / name, SITE_PACKAGES) for name in wheels])
    for entry in lock["packages"].values():  # Pyodide checks each wheel it loads against these
        entry["sha256"] = sha256_hex(out / entry["file_name"])
    # Pyodide reads only "info" and "packages"; the worker reads this
    lock["pyapp"] = {"stdlib_more": {"file_name": STDLIB_MORE, "sha256": sha256_hex(out / STDLIB_MORE),
                                     "imports": more_names}}
    _write(out / "pyodide-lock.json", json.dumps(lock, indent=1).encode())
    for name in RUNTIME_FILES:
        shutil.copyfile(originals / name, out / name)
    say("compressing (brotli, gzip) ...")
    compress_folder(out)


def served_pyodide_key(originals: Path) -> dict:
    return {"originals": sha256_hex(originals / "pyodide-lock.json"),
            "stdlib": sha256_hex(originals / "python_stdlib.zip"), "bytecode": BYTECODE_VERSION,
            "stdlib_at_boot": sorted(STDLIB_AT_BOOT)}


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
