"""What the page downloads at boot, made fast to load: archives compiled to .pyc by Pyodide's own
interpreter and repacked stored, plus precompressed siblings.

    served-pyodide/   (in the asset cache) the verified Pyodide core and wheels, compiled, with a
                      lock file whose sha256s are those of the compiled wheels
    dist/served/      the pyapp wheel that `make` built, compiled

Each is a derived folder (pyapp/assets_derived.py): recorded file by file, rebuilt on any mismatch,
and offered by the server only while it matches its record.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import bytecode
from .assets import REPO_ROOT, _write, say
from .assets_compress import compress_folder
from .assets_derived import derive, sha256_hex, verified
from .errors import AssetError

NODE_SCRIPT = REPO_ROOT / "tools" / "pyodide_run.mjs"
STDLIB_PREFIX = "/lib/python312.zip/"  # where Pyodide mounts python_stdlib.zip
SITE_PACKAGES = "/lib/python3.12/site-packages/"
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


def build_served_pyodide(originals: Path, out: Path) -> None:
    """`originals` (the verified core and wheels of the `pyodide` step) compiled into `out`."""
    lock = json.loads((originals / "pyodide-lock.json").read_text())
    wheels = [entry["file_name"] for entry in lock["packages"].values()]
    say("compiling the stdlib and the Pyodide wheels to .pyc (Node + Pyodide) ...")
    compile_archives(originals, [(originals / "python_stdlib.zip", out / "python_stdlib.zip", STDLIB_PREFIX)]
                     + [(originals / name, out / name, SITE_PACKAGES) for name in wheels])
    for entry in lock["packages"].values():  # Pyodide checks each wheel it loads against these
        entry["sha256"] = sha256_hex(out / entry["file_name"])
    _write(out / "pyodide-lock.json", json.dumps(lock, indent=1).encode())
    for name in RUNTIME_FILES:
        shutil.copyfile(originals / name, out / name)
    say("compressing (brotli, gzip) ...")
    compress_folder(out)


def served_pyodide_key(originals: Path) -> dict:
    return {"originals": sha256_hex(originals / "pyodide-lock.json"),
            "stdlib": sha256_hex(originals / "python_stdlib.zip"), "bytecode": BYTECODE_VERSION}


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
