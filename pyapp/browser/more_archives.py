"""Archives a boot does not download: the standard library's modules and numpy's subpackages that no
boot imports, fetched by the first import that needs one of them.

Setup splits them off (pyapp/assets_served.py): python_stdlib_more.zip (the stdlib but for
STDLIB_AT_BOOT) and numpy_more.zip (numpy.random, fft, ma, polynomial, testing, typing, f2py... and its
headers and stubs). The served lock file names each under "pyapp": file, sha256, the modules it holds
and how it is installed: put on sys.path as it is, at /lib/NAME (the stdlib's: its .pyc were
compiled for that path), or kept there and unpacked into site-packages (numpy's: extension modules cannot load from a zip). worker.js
calls `install` for each before anything else is imported. Nothing is lost: `import numpy.random`
works, it only waits for the download the first time.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile

SITE_PACKAGES = "/lib/python3.12/site-packages"
BOOT_STDLIB = "/lib/python312.zip"


class MoreArchive:
    """First on sys.meta_path. For a module the archive holds it makes sure the archive is in the file
    system (and installed), then declines: the path finders after it find the module as any other.
    Also after a memory snapshot restore, whose heap may have used the archive but whose file system
    starts without it."""

    def __init__(self, url: str, sha256: str, names, on_sys_path: bool):
        self.url, self.sha256, self.names, self.on_sys_path = url, sha256, frozenset(names), on_sys_path
        # at /lib/NAME, where setup (pyapp/assets_served.py) compiled the stdlib's .pyc to be
        self.path = "/lib/" + url.rsplit("/", 1)[-1]

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname in self.names and not os.path.exists(self.path):
            self.fetch()
        return None

    def fetch(self) -> None:
        data = fetch_sync(self.url)
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise ImportError(f"{self.url}: sha256 {digest}, but the lock file says {self.sha256}")
        with open(self.path, "wb") as f:
            f.write(data)
        if self.on_sys_path:
            if self.path not in sys.path:
                after = sys.path.index(BOOT_STDLIB) + 1 if BOOT_STDLIB in sys.path else len(sys.path)
                sys.path.insert(after, self.path)
            folder = self.path
        else:
            with zipfile.ZipFile(self.path) as archive:
                archive.extractall(SITE_PACKAGES)
            folder = SITE_PACKAGES
        for cached in [p for p in sys.path_importer_cache if p.startswith(folder)]:
            del sys.path_importer_cache[cached]  # their listings predate the new files


def fetch_sync(url: str) -> bytes:
    """Synchronous: an import cannot wait for a promise, and a worker may block (the page does not)."""
    from js import XMLHttpRequest

    request = XMLHttpRequest.new()
    request.open("GET", url, False)
    request.responseType = "arraybuffer"
    try:
        request.send()
    except Exception as e:  # a network error raises from send()
        raise ImportError(f"cannot fetch {url} ({e})") from None
    if request.status != 200:
        raise ImportError(f"cannot fetch {url}: HTTP {request.status}")
    return request.response.to_bytes()


def install(url: str, sha256: str, names, how: str) -> None:
    """worker.js: an archive's URL, sha256, module names and how it is installed ("sys.path" or
    "site-packages"), from the served lock file."""
    if how not in ("sys.path", "site-packages"):
        raise ValueError(f"the lock file says to install {url} by {how!r}")
    sys.meta_path.insert(0, MoreArchive(url, sha256, list(names), how == "sys.path"))
