"""HTTP in the worker: one file (optionally conditional), or many at once with bounded concurrency,
each streamed so progress is reported as bytes arrive (pyapp.model.shards verifies them).

Requests use `cache: "no-store"`: IndexedDB (cache.py) is the cache, and a conditional request
made by hand then sees the server's 304 itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Callable

import js
from pyodide.ffi import JsException, to_js

from ..errors import WeightsError

DEFAULT_CONCURRENCY = 6  # what browsers open per host over HTTP/1.1


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int  # 200, or 304 when a conditional request found the file unchanged
    etag: str | None
    body: bytes | None  # None for a 304


async def fetch(url: str, what: str, etag: str | None = None, on_bytes: Callable[[int], None] | None = None) -> Fetched:
    """GET url (If-None-Match: etag when given); errors name `what` (a shard, model.json) and the cause."""
    init = {"cache": "no-store", "headers": {"If-None-Match": etag} if etag else {}}
    try:
        response = await js.fetch(url, to_js(init, dict_converter=js.Object.fromEntries))
    except JsException as e:
        raise WeightsError(f"{what}: cannot fetch {url} ({e})") from None
    tag = response.headers.get("ETag")
    if response.status == 304:
        return Fetched(url, 304, tag, None)
    if not response.ok:
        raise WeightsError(f"{what}: {url} answered HTTP {response.status} {response.statusText}".rstrip())
    chunks, reader = [], response.body.getReader()
    try:
        while not (chunk := await reader.read()).done:
            chunks.append(chunk.value.to_bytes())
            if on_bytes:
                on_bytes(chunk.value.byteLength)
    except JsException as e:
        raise WeightsError(f"{what}: the download of {url} broke off ({e})") from None
    return Fetched(url, 200, tag, b"".join(chunks))


async def fetch_all(jobs: dict[str, tuple[str, str | None]], on_bytes: Callable[[str, int], None],
                    limit: int = DEFAULT_CONCURRENCY) -> tuple[dict[str, Fetched], int]:
    """{key: (url, etag)} → ({key: Fetched}, the most requests that were in flight at once)."""
    gate, in_flight, peak = asyncio.Semaphore(limit), 0, 0

    async def one(key: str, url: str, etag: str | None) -> tuple[str, Fetched]:
        nonlocal in_flight, peak
        async with gate:
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return key, await fetch(url, f"shard {key}", etag, lambda n: on_bytes(key, n))
            finally:
                in_flight -= 1

    results = await asyncio.gather(*(one(key, url, etag) for key, (url, etag) in jobs.items()))
    return dict(results), peak
