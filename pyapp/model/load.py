"""Reading a model from local files or a URL: model.json, then its shards, each checked against the
length and sha256 model.json lists for it. The decoding itself is pure (parse.py, model_weights) so
every loader in the browser, which fetches its own way (cached, dropped files, plain), ends in it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collections.abc import Mapping

from pyapp.model.fetch import Fetcher, FileFetcher, UrlFetcher, is_url
from pyapp.model.parse import parse_model_json
from pyapp.model.shards import fetch_shards
from pyapp.model.spec import ModelSpec
from pyapp.model.weights import check_weights_referenced, decode_weights


def load_model_spec(source: str | Path, fetcher: Fetcher | None = None) -> tuple[ModelSpec, dict[str, np.ndarray]]:
    """model.json at `source` (a path or an http(s) URL), then every shard it lists, through
    `fetcher` (files or URLs by default)."""
    source = str(source)
    if fetcher is None:
        fetcher = UrlFetcher(source, model=source) if is_url(source) else FileFetcher(Path(source).parent, model=source)
    spec = parse_model_json(fetcher.fetch(Path(source).name), source)
    return spec, model_weights(spec, fetch_shards(spec, fetcher))


def model_weights(spec: ModelSpec, shards: Mapping[str, bytes]) -> dict[str, np.ndarray]:
    """Every weight of `spec`, decoded from its shards' bytes (however they were fetched and
    verified), each one read by some node."""
    weights = decode_weights(spec, shards)
    check_weights_referenced(spec, weights)
    return weights
