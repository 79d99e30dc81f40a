"""Worker calls for models: load_model, predict, dispose_model, and the cache's list/delete/clear.

Arrays cross the page <-> worker boundary as

    {"dtype": "float32", "shape": [1, 256, 256, 3], "data": Float32Array}

(dtype a numpy name; data a typed array of that type, or a plain list of numbers). predict takes
{input name: array} (or one array for a one-input model) and answers {outputs: {name: array}, ms}.

load_model(url) fetches model.json (conditionally when cached), reads the shards it can from
IndexedDB, fetches the rest in parallel with "load-progress" events, verifies every shard (length,
sha256 when the manifest has it), decodes and builds the model, and only then caches what it
fetched. IndexedDB trouble is a warning, never a failed load.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field

import js
import numpy as np
from pyodide.ffi import to_js

from ..api import GraphModel
from ..errors import InputError, PyappError
from ..model import ModelSpec, check_weights_referenced, decode_weights, parse_model_json
from ..model.shards import shard_records, verify_shard
from ..wire import from_wire
from . import cache
from .fetch import DEFAULT_CONCURRENCY, fetch, fetch_all
from .rpc import event, method

LOADED: dict[str, GraphModel] = {}
_ids = itertools.count(1)


@dataclass
class Shard:
    path: str
    url: str
    size: int | None  # bytes the manifest promises, when it tells
    sha256: str | None
    key: str | None = None  # its cache key, once known
    etag: str | None = None
    revalidate: bool = False  # cached without a hash under a changed model.json: conditional GET
    data: bytes | None = None
    source: str = ""  # "cache" or "network"


@dataclass
class Load:
    """One load_model call: its timings (ms), warnings, and the cache connection while it works."""
    url: str
    timings: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    db: object = None
    done_bytes: int = 0
    total_bytes: int = 0

    def timed(self, name: str, started: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + (time.perf_counter() - started) * 1000

    async def cached(self, work, fallback):
        """A cache operation; on failure the load carries on uncached, with a warning."""
        if self.db is None:
            return fallback
        try:
            return await work(self.db)
        except cache.CacheError as e:
            self.warnings.append(f"model cache off for this load: {e}")
            self.db.close()
            self.db = None
            return fallback

    def progress(self, shard: Shard, n: int, loaded: int) -> None:
        self.done_bytes += n
        event("load-progress", url=self.url, shard=shard.path, source=shard.source, loaded=loaded,
              done=self.done_bytes, total=self.total_bytes)


def plan_shards(spec: ModelSpec, url: str) -> list[Shard]:
    """Every shard with its URL (relative to model.json, as TF.js resolves it) and what it must be."""
    hashes = shard_records(spec.raw)
    shards = []
    for group in spec.groups:
        group_size = None if any(w.byte_size is None for w in group.weights) else sum(w.byte_size for w in group.weights)
        for path in group.paths:
            record = hashes.get(path)
            size = record["bytes"] if record else group_size if len(group.paths) == 1 else None
            sha = record["sha256"] if record else None
            shards.append(Shard(path, js.URL.new(path, url).href, size, sha, f"sha256:{sha}" if sha else None))
    return shards


async def load(url: str, backend: str, concurrency: int) -> tuple[GraphModel, dict]:
    job = Load(js.URL.new(url, js.location.href).href)
    try:
        job.db = await cache.connect()
    except cache.CacheError as e:
        job.warnings.append(f"model cache off: {e}")
    try:
        return await _load(job, backend, concurrency)
    finally:
        if job.db is not None:
            job.db.close()


async def _load(job: Load, backend: str, concurrency: int) -> tuple[GraphModel, dict]:
    started = t = time.perf_counter()
    records = await job.cached(cache.read_models, {})
    old = records.get(job.url)
    job.timed("cache_read", t)

    t = time.perf_counter()
    reply = await fetch(job.url, "model.json", etag=old["etag"] if old else None)
    text = old["model_json"] if reply.status == 304 else reply.body.decode("utf-8-sig")
    spec = parse_model_json(text, job.url)
    shards = plan_shards(spec, job.url)
    job.total_bytes = spec.weight_bytes()
    job.timed("model_json", t)

    previous = {s["path"]: s for s in old["shards"]} if old else {}
    for shard in shards:  # without a hash, a shard is its URL at an ETag: the one we cached
        if shard.key is None and shard.path in previous:
            shard.key, shard.etag = previous[shard.path]["key"], previous[shard.path]["etag"]
            shard.revalidate = reply.status == 200  # model.json changed: ask whether the shard did
    dropped = await read_cached(job, shards)
    new, peak = await fetch_missing(job, shards, concurrency)

    t = time.perf_counter()
    weights = decode_weights(spec, {s.path: s.data for s in shards})
    check_weights_referenced(spec, weights)
    job.timed("decode", t)
    t = time.perf_counter()
    model = GraphModel.from_spec(spec, weights, backend=backend)
    job.timed("build", t)

    t = time.perf_counter()
    record = {"url": job.url, "etag": reply.etag if reply.status == 200 else old["etag"],
              "manifest_sha256": hashlib.sha256(text.encode()).hexdigest(), "model_json": text,
              "shards": [{"path": s.path, "key": s.key, "bytes": len(s.data), "etag": s.etag} for s in shards],
              "bytes": sum(len(s.data) for s in shards), "time": time.time() * 1000}
    kept = {**records, job.url: record}
    stale = dropped | cache.unreferenced({s["key"] for s in old["shards"]} if old else set(), kept)
    await job.cached(lambda db: cache.write(db, record, new, stale - set(new)), None)
    job.timed("cache_write", t)
    job.timings["total"] = (time.perf_counter() - started) * 1000
    return model, {
        "url": job.url, "timings": job.timings, "warnings": job.warnings,
        "shards": {"count": len(shards), "from_cache": sum(s.source == "cache" for s in shards),
                   "fetched": len(new), "bytes_fetched": sum(map(len, new.values())),
                   "bytes_total": record["bytes"], "parallel": peak},
    }


async def read_cached(job: Load, shards: list[Shard]) -> set[str]:
    """Fills in the shards IndexedDB holds intact; returns the keys of damaged records (to delete)."""
    t = time.perf_counter()
    stored = await job.cached(lambda db: cache.read_shards(db, [s.key for s in shards if s.key]), {})
    job.timed("cache_read", t)
    t, dropped = time.perf_counter(), set()
    for shard in shards:
        if (data := stored.get(shard.key)) is None:
            continue
        try:
            verify_shard(shard.path, data, shard.size, shard.sha256)
        except PyappError:
            dropped.add(shard.key)
            job.warnings.append(f"cached copy of shard {shard.path} was damaged: fetched again")
            continue
        shard.data, shard.source = data, "cache"
        if not shard.revalidate:
            job.progress(shard, len(data), len(data))
    job.timed("verify", t)
    return dropped


async def fetch_missing(job: Load, shards: list[Shard], concurrency: int) -> tuple[dict[str, bytes], int]:
    """Fetches (or revalidates) the shards the cache did not give, in parallel, and verifies them;
    returns {cache key: bytes} of what came over the network and the peak number of requests in flight."""
    wanted = {s.path: s for s in shards if s.data is None or s.revalidate}
    loaded = dict.fromkeys(wanted, 0)

    def on_bytes(path: str, n: int) -> None:
        loaded[path] += n
        wanted[path].source = "network"
        job.progress(wanted[path], n, loaded[path])

    t = time.perf_counter()
    jobs = {path: (s.url, s.etag if s.data is not None else None) for path, s in wanted.items()}
    fetched, peak = await fetch_all(jobs, on_bytes, concurrency)
    job.timed("network", t)
    t, new = time.perf_counter(), {}
    for shard in wanted.values():
        got = fetched[shard.path]
        if got.status == 304:  # revalidated: the cached bytes stand
            job.progress(shard, len(shard.data), len(shard.data))
            continue
        verify_shard(shard.path, got.body, shard.size, shard.sha256)
        shard.data, shard.etag, shard.source = got.body, got.etag, "network"
        if shard.sha256 is None:
            shard.key = f"etag:{shard.url} {got.etag}" if got.etag else f"sha256:{hashlib.sha256(got.body).hexdigest()}"
        new[shard.key] = got.body
    job.timed("verify", t)
    return new, peak


def describe(t) -> dict:
    return {"name": t.name, "dtype": t.dtype, "shape": None if t.shape is None else list(t.shape)}


@method("load_model")
async def load_model(url: str, backend: str = "cpu", concurrency: int = DEFAULT_CONCURRENCY) -> dict:
    model, report = await load(url, backend, concurrency)
    model_id = f"m{next(_ids)}"
    LOADED[model_id] = model
    return {"model": model_id, "backend": model.backend, "inputs": [describe(t) for t in model.inputs],
            "outputs": [describe(t) for t in model.outputs], **report}


def to_wire(array: np.ndarray) -> dict:
    # to_js copies a 1-D buffer into one typed array (an n-D one would become nested arrays)
    return {"dtype": array.dtype.name, "shape": list(array.shape), "data": to_js(np.ascontiguousarray(array).reshape(-1))}


def _model(model: str) -> GraphModel:
    if model not in LOADED:
        raise InputError(f"no loaded model {model!r} (loaded: {', '.join(LOADED) or 'none'})")
    return LOADED[model]


@method("predict")
def predict(model: str, inputs: dict) -> dict:
    graph_model = _model(model)
    feeds = from_wire(inputs) if "data" in inputs else {name: from_wire(v) for name, v in inputs.items()}
    started = time.perf_counter()
    outputs = graph_model.predict(feeds, list(graph_model.output_names))
    ms = (time.perf_counter() - started) * 1000
    return {"outputs": {name: to_wire(array) for name, array in outputs.items()}, "ms": ms}


@method("dispose_model")
def dispose_model(model: str) -> bool:
    return LOADED.pop(model, None) is not None


@method("cache_list")
async def cache_list() -> dict:
    return await cache.list_models()


@method("cache_delete")
async def cache_delete(url: str) -> bool:
    return await cache.delete_model(js.URL.new(url, js.location.href).href)


@method("cache_clear")
async def cache_clear() -> None:
    await cache.clear()
