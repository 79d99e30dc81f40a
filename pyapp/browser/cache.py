"""The model cache in IndexedDB: database "pyapp", two stores.

    shards  key: "sha256:<hex>" of the content (the manifest's hash, or for a shard without one,
            the hash taken at download: models.py checks it on every read)
            value: {key, data: ArrayBuffer, bytes, time}
    models  key: model.json URL
            value: {url, etag, manifest_sha256, model_json, bytes, time,
                    shards: [{path, key, bytes, sha256, etag, last_modified}]}

A transaction ends when control returns to the event loop with no request pending, and an awaited
Python future resumes later than that: so each transaction issues all its requests at once, then
awaits them. Every failure is a CacheError; callers carry on without the cache.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import js
from pyodide.ffi import JsException, create_proxy

from ..errors import PyappError
from .jsbridge import js_array, js_object

DB_NAME, DB_VERSION = "pyapp", 1
SHARDS, MODELS = "shards", "models"


class CacheError(PyappError):
    """IndexedDB is unavailable, blocked, full, or returned something unreadable."""


def _error_text(error) -> str:
    return f"{error.name}: {error.message}" if error is not None else "unknown error"


def _settle(target, ok: str) -> asyncio.Future:
    """A future for an IDBRequest ("success") or IDBTransaction ("complete") that fails on error/abort/blocked."""
    future = asyncio.get_event_loop().create_future()

    def finish(event):
        for name in (ok, "error", "abort", "blocked"):
            target.removeEventListener(name, listener)
        listener.destroy()
        if future.done():
            return
        if event.type == ok:
            future.set_result(target.result if ok == "success" else None)
        elif event.type == "blocked":
            future.set_exception(CacheError("IndexedDB is blocked by another tab holding an older version open"))
        else:  # a failed request's error reaches its transaction first; its error names the cause
            future.set_exception(CacheError(_error_text(event.target.error or target.error)))

    listener = create_proxy(finish)
    for name in (ok, "error", "abort", "blocked"):
        target.addEventListener(name, listener)
    return future


def _create_stores(event) -> None:
    db = event.target.result
    for store in (SHARDS, MODELS):
        if not db.objectStoreNames.contains(store):
            db.createObjectStore(store)


async def connect():
    """An open IDBDatabase (close it when done: an open connection blocks upgrades elsewhere)."""
    factory = getattr(js, "indexedDB", None)
    if factory is None:
        raise CacheError("IndexedDB is not available in this worker")
    upgrade = create_proxy(_create_stores)
    try:
        request = factory.open(DB_NAME, DB_VERSION)
        request.addEventListener("upgradeneeded", upgrade)
        return await _settle(request, "success")
    except JsException as e:
        raise CacheError(f"IndexedDB refused to open: {e}") from None
    finally:
        upgrade.destroy()


@asynccontextmanager
async def open_db():
    db = await connect()
    try:
        yield db
    finally:
        db.close()


def _transaction(db, stores: list[str], mode: str):
    try:
        return db.transaction(js_array(stores), mode)
    except JsException as e:
        raise CacheError(f"IndexedDB transaction failed: {e}") from None


async def read_models(db) -> dict[str, dict]:
    """Every model record, by URL."""
    tx = _transaction(db, [MODELS], "readonly")
    records = await _settle(tx.objectStore(MODELS).getAll(), "success")
    return {r["url"]: r for r in records.to_py()}


async def read_shards(db, keys: list[str]) -> dict[str, bytes | None]:
    """{key: bytes}; None where the record is missing or unreadable (wrong shape, length off)."""
    if not keys:
        return {}
    tx = _transaction(db, [SHARDS], "readonly")
    store = tx.objectStore(SHARDS)
    requests = [store.get(key) for key in keys]
    records = await asyncio.gather(*(_settle(r, "success") for r in requests), return_exceptions=True)
    return {key: _shard_bytes(record) for key, record in zip(keys, records)}


def _shard_bytes(record) -> bytes | None:
    try:
        data = js.Uint8Array.new(record.data).to_bytes()
    except (AttributeError, JsException, TypeError):  # missing, or not a record we wrote
        return None
    return data if len(data) == record.bytes else None


def _shard_value(key: str, data: bytes):
    array = js.Uint8Array.new(len(data))
    array.assign(data)
    return js_object({"key": key, "data": array.buffer, "bytes": len(data), "time": time.time() * 1000})


async def write(db, record: dict | None, shards: dict[str, bytes], delete: set[str], drop_model: str | None = None) -> None:
    """One transaction: put the new shards and the model record, delete shard keys (and a model)."""
    tx = _transaction(db, [SHARDS, MODELS], "readwrite")
    done = _settle(tx, "complete")
    try:
        shard_store, model_store = tx.objectStore(SHARDS), tx.objectStore(MODELS)
        for key, data in shards.items():
            shard_store.put(_shard_value(key, data), key)
        if record is not None:
            model_store.put(js_object(record), record["url"])
        if drop_model is not None:
            model_store.delete(drop_model)
        for key in delete:
            shard_store.delete(key)
    except JsException as e:
        tx.abort()
        done.cancel()
        raise CacheError(f"IndexedDB write failed: {e}") from None
    await done


def unreferenced(old_keys: set[str], records: dict[str, dict]) -> set[str]:
    """The keys no model record in `records` lists."""
    return old_keys - {s["key"] for r in records.values() for s in r["shards"]}


async def list_models() -> dict:
    async with open_db() as db:
        records = await read_models(db)
    sizes = {s["key"]: s["bytes"] for r in records.values() for s in r["shards"]}
    models = [{"url": r["url"], "bytes": r["bytes"], "shards": len(r["shards"]), "manifest_sha256": r["manifest_sha256"],
               "time": r["time"]} for r in records.values()]
    return {"models": models, "total_bytes": sum(sizes.values())}


async def delete_model(url: str) -> bool:
    async with open_db() as db:
        records = await read_models(db)
        if url not in records:
            return False
        gone = records.pop(url)
        await write(db, None, {}, unreferenced({s["key"] for s in gone["shards"]}, records), drop_model=url)
    return True


async def clear() -> None:
    async with open_db() as db:
        tx = _transaction(db, [SHARDS, MODELS], "readwrite")
        done = _settle(tx, "complete")
        tx.objectStore(SHARDS).clear()
        tx.objectStore(MODELS).clear()
        await done
