"""Python sources in a zip archive (the stdlib zip, a wheel) replaced by sourceless .pyc, stored.

Runs inside Pyodide's own CPython (under Node, see tools/pyodide_run.mjs), because a .pyc is only
valid for the interpreter that wrote it; this file therefore imports nothing but the stdlib.
Without .pyc, Pyodide compiles every module it imports on every page load.

    python bytecode.py JOBS.json   # [{"source": ..., "target": ..., "prefix": ...}, ...]

`prefix` is where the archive's entries live at run time (`/lib/python312.zip/`,
`/lib/python3.12/site-packages/`); tracebacks name that path.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc


def pyc_bytes(source: bytes, filename: str) -> bytes:
    """An unchecked-hash .pyc (PEP 552): nothing in it depends on a file's mtime, and with no .py
    beside it the importer loads it as it is."""
    code = compile(source, filename, "exec", dont_inherit=True)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def compiled_entries(archive: zipfile.ZipFile, prefix: str) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """Every entry, each .py that compiles swapped for its .pyc; a wheel's RECORD follows."""
    out = []
    renamed = {}
    for info in archive.infolist():
        data = archive.read(info)
        if info.filename.endswith(".py"):
            try:
                data = pyc_bytes(data, prefix + info.filename)
            except SyntaxError:  # e.g. a test fixture of invalid code: served as it is
                pass
            else:
                renamed[info.filename] = info.filename + "c"
        out.append((info, data))
    records = [i for i, (info, _) in enumerate(out) if info.filename.endswith(".dist-info/RECORD")]
    for i in records:
        info, data = out[i]
        sizes = {renamed.get(inf.filename, inf.filename): d for inf, d in out}
        lines = []
        for line in data.decode().splitlines():
            name = line.rsplit(",", 2)[0]
            lines.append(record_line(renamed[name], sizes[renamed[name]]) if name in renamed else line)
        out[i] = (info, ("\n".join(lines) + "\n").encode())
    return [(_renamed(info, renamed), data) for info, data in out]


def _renamed(info: zipfile.ZipInfo, renamed: dict[str, str]) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(renamed.get(info.filename, info.filename), info.date_time)
    new.external_attr = info.external_attr
    new.compress_type = zipfile.ZIP_STORED  # transfer compression (br, gzip) does better on stored bytes
    return new


def compile_archive(source: str, target: str, prefix: str) -> int:
    """Writes the compiled archive to `target`; returns how many modules it compiled."""
    with zipfile.ZipFile(source) as archive:
        entries = compiled_entries(archive, prefix)
        before = sum(info.filename.endswith(".py") for info in archive.infolist())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
        for info, data in entries:
            out.writestr(info, data)
    return before - sum(info.filename.endswith(".py") for info, _ in entries)


def main(jobs_path: str) -> None:
    magic = importlib.util.MAGIC_NUMBER.hex()
    for job in json.loads(open(jobs_path).read()):
        n = compile_archive(job["source"], job["target"], job["prefix"])
        name = job["source"].rsplit("/", 1)[-1]
        print(f"compiled {n} modules of {name} (magic {magic}, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main(sys.argv[1])
