"""Reading a model's files: from a local folder, or over http(s) in CPython (the browser fetches
asynchronously, in pyapp.browser). Each fetcher reads only inside its folder or URL prefix, whatever
path it is asked for: model.json's shard paths are checked when parsed, and again here."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Protocol

from pyapp.errors import WeightsError


class Fetcher(Protocol):
    def fetch(self, path: str) -> bytes:
        """The bytes at `path`, relative to model.json's folder."""


class FileFetcher:
    def __init__(self, base_dir: str | Path, model: str | None = None):
        self.base_dir, self.model = Path(base_dir), model or str(base_dir)

    def fetch(self, path: str) -> bytes:
        full = self.base_dir / path
        needed_by = f" (needed by {self.model})" if str(full) != self.model else ""
        if not inside_folder(self.base_dir, path):
            raise WeightsError(f"refused to read {path!r}: it is not inside {self.base_dir}{needed_by}")
        try:
            return full.read_bytes()
        except OSError as e:
            raise WeightsError(f"cannot read {full}: {e.strerror}{needed_by}") from None


class UrlFetcher:
    def __init__(self, base_url: str, model: str | None = None, timeout: float = 60):
        self.base_url, self.model, self.timeout = base_url, model or base_url, timeout

    def fetch(self, path: str) -> bytes:
        # here, not at the top: urllib.request (http.client, email) is 35 ms of the browser worker's
        # import, which never fetches with it
        import urllib.error
        import urllib.request

        url = urllib.parse.urljoin(self.base_url, path)
        needed_by = f" (needed by {self.model})" if url != self.model else ""
        if not inside_url(self.base_url, url):
            raise WeightsError(f"refused to fetch {url}: it is not under {self.base_url.rsplit('/', 1)[0]}/{needed_by}")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return response.read()
        except (urllib.error.URLError, OSError) as e:
            raise WeightsError(f"cannot fetch {url}: {getattr(e, 'reason', e)}{needed_by}") from None


def inside_folder(folder: str | Path, path: str) -> bool:
    """Whether folder/path names a file inside folder (lexically: symlinks placed there are honoured)."""
    if "\0" in path:
        return False
    base = os.path.abspath(folder)
    full = os.path.abspath(os.path.join(base, path))
    return full != base and os.path.commonpath([base, full]) == base


def inside_url(base_url: str, url: str) -> bool:
    """Whether url is on base_url's origin, under the folder of its path, with no '..' or
    backslash in its path once percent-decoded (a server may decode them)."""
    base, target = urllib.parse.urlsplit(base_url), urllib.parse.urlsplit(url)
    folder = base.path[: base.path.rfind("/") + 1]
    path = urllib.parse.unquote(target.path)
    return ((target.scheme, target.netloc) == (base.scheme, base.netloc) and target.path.startswith(folder)
            and ".." not in path.split("/") and "\\" not in path)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))
