"""Reading a model from local files or a URL: model.json, then its shards. The decoding itself is pure
(parse.py, weights.py) so the browser, which fetches asynchronously, reuses it unchanged."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Protocol

import numpy as np

from pyapp.errors import WeightsError
from pyapp.model.parse import parse_model_json
from pyapp.model.spec import ModelSpec
from pyapp.model.weights import check_weights_referenced, decode_weights


class Fetcher(Protocol):
    def fetch(self, path: str) -> bytes:
        """The bytes at `path`, relative to model.json's folder (or absolute)."""


class FileFetcher:
    def __init__(self, base_dir: str | Path, model: str | None = None):
        self.base_dir, self.model = Path(base_dir), model or str(base_dir)

    def fetch(self, path: str) -> bytes:
        full = self.base_dir / path
        try:
            return full.read_bytes()
        except OSError as e:
            needed_by = f" (needed by {self.model})" if str(full) != self.model else ""
            raise WeightsError(f"cannot read {full}: {e.strerror}{needed_by}") from None


class UrlFetcher:
    """http(s) in CPython (the browser fetches asynchronously, in pyapp.browser)."""

    def __init__(self, base_url: str, model: str | None = None, timeout: float = 60):
        self.base_url, self.model, self.timeout = base_url, model or base_url, timeout

    def fetch(self, path: str) -> bytes:
        url = urllib.parse.urljoin(self.base_url, path)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return response.read()
        except (urllib.error.URLError, OSError) as e:
            needed_by = f" (needed by {self.model})" if url != self.model else ""
            raise WeightsError(f"cannot fetch {url}: {getattr(e, 'reason', e)}{needed_by}") from None


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def load_model_spec(source: str | Path, fetcher: Fetcher | None = None) -> tuple[ModelSpec, dict[str, np.ndarray]]:
    """model.json at `source` (a path or an http(s) URL), then every shard it lists, through
    `fetcher` (files or URLs by default)."""
    source = str(source)
    if fetcher is None:
        fetcher = UrlFetcher(source, model=source) if is_url(source) else FileFetcher(Path(source).parent, model=source)
    spec = parse_model_json(fetcher.fetch(Path(source).name), source)
    weights = decode_weights(spec, {path: fetcher.fetch(path) for path in spec.shard_paths()})
    check_weights_referenced(spec, weights)
    return spec, weights
