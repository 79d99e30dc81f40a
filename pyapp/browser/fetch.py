"""HTTP in the worker: one file (optionally conditional), or many at once with bounded concurrency,
each streamed so progress is reported as bytes arrive (pyapp.model.shards verifies them).

Requests use `cache: "no-store"`: IndexedDB (cache.py) is the cache, and a conditional request
made by hand then sees the server's 304 itself. A request that gets no bytes for `stall_timeout_s`
(no answer, or a body that stops coming) is aborted; fetch_all retries such a shard once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Callable

import js
from pyodide.ffi import JsException

from ..errors import WeightsError
from .jsbridge import js_object

DEFAULT_CONCURRENCY = 6  # what browsers open per host over HTTP/1.1
DEFAULT_STALL_TIMEOUT_S = 30.0


class DownloadStalled(WeightsError):
    """No bytes came for the stall timeout: the request was aborted."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int  # 200, or 304 when a conditional request found the file unchanged
    etag: str | None
    last_modified: str | None
    body: bytes | None  # None for a 304


@dataclass(frozen=True)
class Validators:
    """What a cached copy was (its response's ETag, Last-Modified): makes a request conditional."""
    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict:
        if self.etag:
            return {"If-None-Match": self.etag}
        return {"If-Modified-Since": self.last_modified} if self.last_modified else {}


class StallWatch:
    """Aborts a request (its AbortController) once `seconds` pass with no bytes; `restart` on each."""

    def __init__(self, seconds: float):
        self.seconds, self.controller, self.stalled = seconds, js.AbortController.new(), False
        self.timer = asyncio.get_event_loop().call_later(seconds, self.abort)

    def abort(self) -> None:
        self.stalled = True
        self.controller.abort()

    def restart(self) -> None:
        self.timer.cancel()
        self.timer = asyncio.get_event_loop().call_later(self.seconds, self.abort)

    def stop(self) -> None:
        self.timer.cancel()


async def fetch(url: str, what: str, validators: Validators = Validators(), on_bytes: Callable[[int], None] | None = None,
                stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S) -> Fetched:
    """GET url (conditional when validators are given); errors name `what` (a shard, model.json) and the cause."""
    watch = StallWatch(stall_timeout_s)
    init = {"cache": "no-store", "headers": validators.headers(), "signal": watch.controller.signal}
    failed = "cannot fetch {url}"
    try:
        response = await js.fetch(url, js_object(init))
        watch.restart()
        tag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if response.status == 304:
            return Fetched(url, 304, tag, modified, None)
        if not response.ok:
            raise WeightsError(f"{what}: {url} answered HTTP {response.status} {response.statusText}".rstrip())
        chunks, reader, failed = [], response.body.getReader(), "the download of {url} broke off"
        while not (chunk := await reader.read()).done:
            watch.restart()
            chunks.append(chunk.value.to_bytes())
            if on_bytes:
                on_bytes(chunk.value.byteLength)
    except JsException as e:
        if watch.stalled:
            raise DownloadStalled(f"{what}: no bytes from {url} for {stall_timeout_s:g} s (aborted)") from None
        raise WeightsError(f"{what}: {failed.format(url=url)} ({e})") from None
    finally:
        watch.stop()
    return Fetched(url, 200, tag, modified, b"".join(chunks))


async def fetch_all(jobs: dict[str, tuple[str, Validators]], on_bytes: Callable[[str, int], None],
                    on_retry: Callable[[str, DownloadStalled], None], limit: int = DEFAULT_CONCURRENCY,
                    stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S) -> tuple[dict[str, Fetched], int]:
    """{key: (url, validators)} → ({key: Fetched}, the most requests that were in flight at once).
    A download that stalls is retried once (after `on_retry`); a second stall fails it."""
    gate, in_flight, peak = asyncio.Semaphore(limit), 0, 0

    async def one(key: str, url: str, validators: Validators) -> tuple[str, Fetched]:
        nonlocal in_flight, peak

        def download():
            return fetch(url, f"shard {key}", validators, lambda n: on_bytes(key, n), stall_timeout_s)

        async with gate:
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                try:
                    return key, await download()
                except DownloadStalled as e:
                    on_retry(key, e)
                try:
                    return key, await download()
                except DownloadStalled as e:
                    raise WeightsError(f"{e}, and again when retried once: giving up") from None
            finally:
                in_flight -= 1

    results = await asyncio.gather(*(one(key, url, validators) for key, (url, validators) in jobs.items()))
    return dict(results), peak
