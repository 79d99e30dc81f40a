"""The standard library's modules that no boot imports, from a second archive fetched by the first
import that needs one of them.

Setup splits the stdlib (pyapp/assets_served.py STDLIB_AT_BOOT): Pyodide loads the boot archive as
its python_stdlib.zip, and the rest (1.4 of the 2.6 MB a boot would otherwise download, brotli) is
named in the served lock file, with its sha256 and the top-level names it holds; worker.js calls
`install` before anything else is imported. Nothing is lost: `import email` still works, it only
waits for the download the first time.
"""

from __future__ import annotations

import hashlib
import os
import sys

ARCHIVE = "/lib/python312-more.zip"  # the path its .pyc were compiled for (tracebacks name it)
BOOT_ARCHIVE = "/lib/python312.zip"


class StdlibMore:
    """First on sys.meta_path. For a name under one of the archive's top-level names it makes sure the
    archive is in the file system and on sys.path (after the boot archive), then declines: the path
    finder after it finds the module there as any other. Also after a memory snapshot restore, whose
    heap may have the archive on sys.path but whose file system starts without it."""

    def __init__(self, url: str, sha256: str, names: list[str]):
        self.url, self.sha256, self.names = url, sha256, frozenset(names)

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname.partition(".")[0] in self.names and not os.path.exists(ARCHIVE):
            self.fetch()
        return None

    def fetch(self) -> None:
        # Synchronous: an import cannot wait for a promise, and a worker may block (the page does not).
        from js import XMLHttpRequest

        request = XMLHttpRequest.new()
        request.open("GET", self.url, False)
        request.responseType = "arraybuffer"
        try:
            request.send()
        except Exception as e:  # a network error raises from send()
            raise ImportError(f"cannot fetch the standard library's {self.url} ({e})") from None
        if request.status != 200:
            raise ImportError(f"cannot fetch the standard library's {self.url}: HTTP {request.status}")
        data = request.response.to_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise ImportError(f"{self.url}: sha256 {digest}, but the lock file says {self.sha256}")
        with open(ARCHIVE, "wb") as f:
            f.write(data)
        if ARCHIVE not in sys.path:
            after = sys.path.index(BOOT_ARCHIVE) + 1 if BOOT_ARCHIVE in sys.path else len(sys.path)
            sys.path.insert(after, ARCHIVE)
        sys.path_importer_cache.pop(ARCHIVE, None)


def install(url: str, sha256: str, names) -> None:
    """worker.js: the second archive's URL, sha256 and top-level names, from the served lock file."""
    sys.meta_path.insert(0, StdlibMore(url, sha256, list(names)))
