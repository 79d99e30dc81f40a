"""Worker calls for models: load_model, predict, dispose_model, and the cache's list/delete/clear.

Arrays cross the page <-> worker boundary as

    {"dtype": "float32", "shape": [1, 256, 256, 3], "data": Float32Array}

(dtype a numpy name; data a typed array of that type, or a plain list of numbers). predict takes
{input name: array} (or one array for a one-input model) and answers {outputs: {name: array}, ms}.

load_model(url) fetches model.json (conditionally when cached), reads the shards it can from
IndexedDB, fetches the rest in parallel with "load-progress" events, verifies every shard (length,
sha256 when the manifest has it), decodes and builds the model, and only then caches what it
fetched. Every shard is cached under its sha256. A shard the manifest gives no hash for is hashed
at download, checked against that hash on every cache read, and revalidated on every load by a
conditional GET: a 304 for model.json says nothing about it. A download that stalls (no bytes for
stall_timeout_s) is retried once. IndexedDB trouble is a warning, never a failed load.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from urllib.parse import unquote

import js
import numpy as np
from pyodide.ffi import JsException, to_js

from ..api import GraphModel
from ..errors import InputError, PyappError, WeightsError
from ..model import ModelSpec, check_weights_referenced, decode_weights, parse_model_json
from ..model.shards import shard_records, verify_shard
from ..wire import from_wire
from . import cache
from .choice import choose
from .fetch import DEFAULT_CONCURRENCY, DEFAULT_STALL_TIMEOUT_S, DownloadStalled, Validators, fetch, fetch_all
from .gl import backend_options
from .rpc import Transferring, event, method

LOADED: dict[str, GraphModel] = {}
_ids = itertools.count(1)


@dataclass
class Shard:
    path: str
    url: str
    size: int | None  # bytes the manifest promises, when it tells
    sha256: str | None  # from the manifest
    key: str | None = None  # its cache key "sha256:<hex>", once known
    downloaded_sha256: str | None = None  # without a manifest hash: the cached copy's, taken at download
    validators: Validators = Validators()  # of the cached copy
    data: bytes | None = None
    source: str = ""  # "cache" or "network"

    @property
    def revalidate(self) -> bool:
        """Only the manifest's hash proves a cached copy current; without one, ask the server."""
        return self.sha256 is None and self.data is not None


@dataclass
class Load:
    """One load_model call: its timings (ms), warnings, and the cache connection while it works."""
    url: str
    timings: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    db: object = None
    done_bytes: int = 0
    total_bytes: int = 0
    choice: str = ""  # backend "auto": which one, and why

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

    def progress(self, shard: Shard, n: int, loaded: int, **extra) -> None:
        self.done_bytes += n
        event("load-progress", url=self.url, shard=shard.path, source=shard.source, loaded=loaded,
              done=self.done_bytes, total=self.total_bytes, **extra)


def shard_url(path: str, url: str) -> str:
    """A shard's URL: path resolved against model.json's URL, as TF.js does; it must stay in
    model.json's folder (same origin, that directory or below), also once the server decodes it."""
    try:
        folder, resolved = js.URL.new(".", url), js.URL.new(path, url)
    except JsException:
        raise WeightsError(f"shard {path}: not a valid URL relative to {url}") from None
    inside = resolved.origin == folder.origin and resolved.pathname.startswith(folder.pathname)
    below = unquote(resolved.pathname[len(folder.pathname):]).replace("\\", "/").split("/")
    if not inside or {".", ".."} & set(below):
        raise WeightsError(f"shard {path}: resolves to {resolved.href}, outside the model's folder {folder.href}")
    return resolved.href


def plan_shards(spec: ModelSpec, url: str) -> list[Shard]:
    """Every shard with its URL and what it must be."""
    hashes = shard_records(spec.raw)
    shards = []
    for group in spec.groups:
        group_size = None if any(w.byte_size is None for w in group.weights) else sum(w.byte_size for w in group.weights)
        for path in group.paths:
            record = hashes.get(path)
            size = record["bytes"] if record else group_size if len(group.paths) == 1 else None
            sha = record["sha256"] if record else None
            shards.append(Shard(path, shard_url(path, url), size, sha, f"sha256:{sha}" if sha else None))
    return shards


async def load(url: str, backend: str, concurrency: int,
               stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S) -> tuple[GraphModel, dict]:
    job = Load(js.URL.new(url, js.location.href).href)
    try:
        job.db = await cache.connect()
    except cache.CacheError as e:
        job.warnings.append(f"model cache off: {e}")
    try:
        return await _load(job, backend, concurrency, stall_timeout_s)
    finally:
        if job.db is not None:
            job.db.close()


def build_model(spec: ModelSpec, weights, backend: str) -> GraphModel:
    return GraphModel.from_spec(spec, weights, backend=backend, **backend_options(backend))


async def _load(job: Load, backend: str, concurrency: int, stall_timeout_s: float) -> tuple[GraphModel, dict]:
    started = t = time.perf_counter()
    records = await job.cached(cache.read_models, {})
    old = records.get(job.url)
    job.timed("cache_read", t)

    t = time.perf_counter()
    reply = await fetch(job.url, "model.json", Validators(old["etag"]) if old else Validators(),
                        stall_timeout_s=stall_timeout_s)
    text = old["model_json"] if reply.status == 304 else reply.body.decode("utf-8-sig")
    spec = parse_model_json(text, job.url)
    shards = plan_shards(spec, job.url)
    job.total_bytes = spec.weight_bytes()
    job.timed("model_json", t)

    previous = {s["path"]: s for s in old["shards"]} if old else {}
    for shard in shards:  # without a manifest hash: the copy we cached from this URL, if any
        if shard.key is None and (cached := previous.get(shard.path)) and cached.get("sha256"):
            shard.key, shard.downloaded_sha256 = cached["key"], cached["sha256"]
            shard.validators = Validators(cached["etag"], cached.get("last_modified"))
    dropped = await read_cached(job, shards)
    new, peak = await fetch_missing(job, shards, concurrency, stall_timeout_s)

    t = time.perf_counter()
    weights = decode_weights(spec, {s.path: s.data for s in shards})
    check_weights_referenced(spec, weights)
    job.timed("decode", t)
    t = time.perf_counter()
    if backend == "auto":
        model, job.choice = choose(spec, weights, build_model)
    else:
        model = build_model(spec, weights, backend)
    job.timed("build", t)

    t = time.perf_counter()
    record = {"url": job.url, "etag": reply.etag if reply.status == 200 else old["etag"],
              "manifest_sha256": hashlib.sha256(text.encode()).hexdigest(), "model_json": text,
              "shards": [{"path": s.path, "key": s.key, "bytes": len(s.data), "sha256": s.sha256 or s.downloaded_sha256,
                          "etag": s.validators.etag, "last_modified": s.validators.last_modified} for s in shards],
              "bytes": sum(len(s.data) for s in shards), "time": time.time() * 1000}
    kept = {**records, job.url: record}
    stale = dropped | cache.unreferenced({s["key"] for s in old["shards"]} if old else set(), kept)
    await job.cached(lambda db: cache.write(db, record, new, stale - set(new)), None)
    job.timed("cache_write", t)
    job.timings["total"] = (time.perf_counter() - started) * 1000
    return model, {
        "url": job.url, "timings": job.timings, "warnings": job.warnings, "choice": job.choice,
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
            check_downloaded_hash(shard, data)
        except PyappError:
            dropped.add(shard.key)
            job.warnings.append(f"cached copy of shard {shard.path} was damaged: fetched again")
            continue
        shard.data, shard.source = data, "cache"
        if not shard.revalidate:
            job.progress(shard, len(data), len(data))
    job.timed("verify", t)
    return dropped


def check_downloaded_hash(shard: Shard, data: bytes) -> None:
    """A cached copy of a shard without a manifest hash against the hash it had when downloaded."""
    if shard.sha256 is None and (got := hashlib.sha256(data).hexdigest()) != shard.downloaded_sha256:
        raise WeightsError(f"shard {shard.path}: cached copy's sha256 {got[:16]}… is not the "
                           f"{shard.downloaded_sha256[:16]}… it had when downloaded")


async def fetch_missing(job: Load, shards: list[Shard], concurrency: int,
                        stall_timeout_s: float) -> tuple[dict[str, bytes], int]:
    """Fetches (or revalidates) the shards the cache did not give, in parallel, and verifies them;
    returns {cache key: bytes} of what came over the network and the peak number of requests in flight."""
    wanted = {s.path: s for s in shards if s.data is None or s.revalidate}
    loaded = dict.fromkeys(wanted, 0)

    def on_bytes(path: str, n: int) -> None:
        loaded[path] += n
        wanted[path].source = "network"
        job.progress(wanted[path], n, loaded[path])

    def on_retry(path: str, error: DownloadStalled) -> None:  # its bytes so far start over
        job.warnings.append(f"{error}: retried")
        job.progress(wanted[path], -loaded[path], 0, state="retrying", error=str(error))
        loaded[path] = 0

    t = time.perf_counter()
    jobs = {path: (s.url, s.validators if s.data is not None else Validators()) for path, s in wanted.items()}
    fetched, peak = await fetch_all(jobs, on_bytes, on_retry, concurrency, stall_timeout_s)
    job.timed("network", t)
    t, new = time.perf_counter(), {}
    for shard in wanted.values():
        got = fetched[shard.path]
        if got.status == 304:  # revalidated: the cached bytes stand
            job.progress(shard, len(shard.data), len(shard.data))
            continue
        verify_shard(shard.path, got.body, shard.size, shard.sha256)
        shard.data, shard.source = got.body, "network"
        shard.validators = Validators(got.etag, got.last_modified)
        if shard.sha256 is None:
            shard.downloaded_sha256 = hashlib.sha256(got.body).hexdigest()
            shard.key = f"sha256:{shard.downloaded_sha256}"
        new[shard.key] = got.body
    job.timed("verify", t)
    return new, peak


def describe(t) -> dict:
    return {"name": t.name, "dtype": t.dtype, "shape": None if t.shape is None else list(t.shape)}


@method("load_model")
async def load_model(url: str, backend: str = "cpu", concurrency: int = DEFAULT_CONCURRENCY,
                     stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S) -> dict:
    if not (isinstance(stall_timeout_s, (int, float)) and stall_timeout_s > 0):
        raise InputError(f"load_model: stall_timeout_s must be a positive number of seconds, got {stall_timeout_s!r}")
    model, report = await load(url, backend, concurrency, stall_timeout_s)
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
    wire = {name: to_wire(array) for name, array in outputs.items()}
    # the typed arrays were made for this reply: their buffers move to the page instead of being copied
    return Transferring({"outputs": wire, "ms": ms}, [o["data"].buffer for o in wire.values()])


@method("dispose_model")
def dispose_model(model: str) -> bool:
    """Frees what the model holds (on webgl: its textures, framebuffers, programs); False if unknown."""
    if (graph_model := LOADED.pop(model, None)) is None:
        return False
    graph_model.dispose()
    return True


@method("cache_list")
async def cache_list() -> dict:
    return await cache.list_models()


@method("cache_delete")
async def cache_delete(url: str) -> bool:
    return await cache.delete_model(js.URL.new(url, js.location.href).href)


@method("cache_clear")
async def cache_clear() -> None:
    await cache.clear()
