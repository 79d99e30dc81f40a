"""Files under one root folder, streamed from disk: exact MIME types, ETags from what stat says, 304s,
single byte ranges, precompressed `.br`/`.gz` siblings (or gzip made on the fly for text), and
nothing outside the root (no `..`, no absolute paths, no symlinks that lead out, no listings)."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import mimetypes
import os
import re
import stat
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".bin": "application/octet-stream",
    ".whl": "application/octet-stream",
    ".zip": "application/zip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".y4m": "video/x-yuv4mpeg",
    ".br": "application/octet-stream",  # a sibling asked for by name is sent as it is stored
    ".gz": "application/gzip",
}
GZIP_TYPES = ("text/", "application/json", "image/svg+xml")
GZIP_MIN_BYTES = 1024
GZIP_MAX_BYTES = 8 << 20  # gzip on the fly holds the whole file; larger text goes out as stored
GZIP_CACHE_BYTES = 8 << 20  # per root
PRECOMPRESSED = {"br": ".br", "gzip": ".gz"}  # content coding -> sibling suffix, in order of preference
ETAG_SUFFIXES = {"identity": "", "gzip": "-gz", "br": "-br"}
CHUNK_BYTES = 64 << 10
MAX_PATH_BYTES = 4096  # Linux's PATH_MAX: no file has a longer path
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def media_type(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] \
        or "application/octet-stream"


@dataclass(frozen=True)
class DiskFile:
    """A regular file as one stat saw it."""
    path: Path
    stat: os.stat_result

    @property
    def size(self) -> int:
        return self.stat.st_size

    @property
    def tag(self) -> str:
        """Changes when the file is rewritten (size, mtime) or replaced (inode), and reads no bytes;
        hashed so that inode numbers do not leak."""
        key = f"{self.stat.st_ino}:{self.stat.st_size}:{self.stat.st_mtime_ns}"
        return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Representation:
    """One content coding of a file: the file its bytes come from, as stored or gzipped on the fly."""
    coding: str  # "identity", "gzip" or "br"
    source: DiskFile
    gzip_on_the_fly: bool = False

    @property
    def etag(self) -> str:
        return f'"{self.source.tag}{ETAG_SUFFIXES[self.coding]}"'


class AcceptEncoding:
    """The q-value a request's Accept-Encoding gives each content coding (RFC 9110 §12.5.3)."""
    QVALUE = re.compile(r"0(\.\d{0,3})?|1(\.0{0,3})?")

    def __init__(self, header: str | None):
        self.weights: dict[str, float] = {}
        for item in (header or "").split(","):
            coding, *params = (part.strip() for part in item.split(";"))
            coding = coding.lower()
            if coding:
                self.weights["gzip" if coding == "x-gzip" else coding] = self.qvalue(params)

    @classmethod
    def qvalue(cls, params: list[str]) -> float:
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                return float(value) if cls.QVALUE.fullmatch(value.strip()) else 0.0
        return 1.0

    def weight(self, coding: str) -> float:
        if coding in self.weights:
            return self.weights[coding]
        return self.weights.get("*", 1.0 if coding == "identity" else 0.0)

    def choose(self, offered: list[str]) -> str:
        """The coding with the highest q, the earlier in `offered` on ties; identity when none is
        acceptable (rather than a 406)."""
        best = max(offered, key=self.weight)
        return best if self.weight(best) > 0 else "identity"


@dataclass(frozen=True)
class ByteRange:
    """The one span [start, end) a `Range: bytes=...` header asks of a file of `size` bytes."""
    start: int
    end: int
    size: int
    SYNTAX = re.compile(r"bytes=(\d{0,20})-(\d{0,20})", re.ASCII | re.IGNORECASE)

    @classmethod
    def parse(cls, header: str, size: int) -> ByteRange | None:
        """None for a header that RFC 9110 lets us ignore and answer in full: another unit, bad
        syntax, or several ranges."""
        match = cls.SYNTAX.fullmatch(header.strip())
        if match is None:
            return None
        first, last = match.groups()
        if first:
            if last and int(last) < int(first):
                return None
            return cls(int(first), min(int(last) + 1, size) if last else size, size)
        if last:  # the last N bytes
            return cls(max(size - int(last), 0), size, size)
        return None

    @property
    def satisfiable(self) -> bool:
        return self.start < self.end

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end - 1}/{self.size}" if self.satisfiable else f"bytes */{self.size}"


def gzip_file(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


class GzipCache:
    """gzip bodies made on the fly, one version per file, at most `max_bytes` of them: the least
    recently used go first."""

    def __init__(self, max_bytes: int = GZIP_CACHE_BYTES):
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self._bodies: OrderedDict[Path, tuple[str, bytes]] = OrderedDict()

    async def body(self, file: DiskFile) -> bytes:
        held = self._bodies.get(file.path)
        if held is None or held[0] != file.tag:
            held = (file.tag, await anyio.to_thread.run_sync(gzip_file, file.path))
        self._hold(file.path, held)
        return held[1]

    def _hold(self, path: Path, held: tuple[str, bytes]) -> None:
        previous = self._bodies.pop(path, None)
        self.held_bytes += len(held[1]) - (len(previous[1]) if previous else 0)
        self._bodies[path] = held
        while self.held_bytes > self.max_bytes:
            _, (_, dropped) = self._bodies.popitem(last=False)
            self.held_bytes -= len(dropped)


class FileBody(Response):
    """Bytes [start, end) of a file, read and sent a chunk at a time; a HEAD gets the headers alone."""

    def __init__(self, path: Path, start: int, end: int, status_code: int, headers: dict[str, str],
                 media_type: str):
        self.path, self.start, self.end = path, start, end
        self.status_code = status_code
        self.media_type = media_type
        self.init_headers({**headers, "Content-Length": str(end - start)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        if scope["method"] == "HEAD":
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return
        async with await anyio.open_file(self.path, "rb") as file:  # opened first: a failure is a clean 500
            await send(start)
            await file.seek(self.start)
            left = self.end - self.start
            while True:
                chunk = await file.read(min(CHUNK_BYTES, left))
                left -= len(chunk)
                more = left > 0 and bool(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
                if not more:
                    return


class StaticRoot:
    """An ASGI app for a GET/HEAD route, serving `directory` under a route with a `{path:path}` parameter."""

    def __init__(self, directory: Path, cache_control: str = REVALIDATE, index: str | None = None):
        self.directory = Path(directory).resolve()
        self.cache_control = cache_control
        self.index = index
        self.gzip_cache = GzipCache()

    def locate(self, relative: str) -> DiskFile | None:
        """The regular file at a URL path; None when it is outside the root, missing, or cannot be
        looked up."""
        if "\x00" in relative or relative.startswith(("/", "\\")):
            return None
        try:
            path = (self.directory / relative).resolve()  # follows symlinks, then we check
            if not path.is_relative_to(self.directory):
                return None
            found = path.stat()
        except OSError:  # e.g. a name too long for the file system
            return None
        return DiskFile(path, found) if stat.S_ISREG(found.st_mode) else None

    def representations(self, relative: str, original: DiskFile, kind: str) -> dict[str, Representation]:
        """What can be sent for a file, in order of preference: precompressed siblings not older than
        it, else gzip on the fly for text; identity last."""
        offered = {}
        for coding, suffix in PRECOMPRESSED.items():
            sibling = self.locate(relative + suffix)
            if sibling is not None and sibling.stat.st_mtime_ns >= original.stat.st_mtime_ns:
                offered[coding] = Representation(coding, sibling)
        if "gzip" not in offered and kind.startswith(GZIP_TYPES) \
                and GZIP_MIN_BYTES <= original.size <= GZIP_MAX_BYTES:
            offered["gzip"] = Representation("gzip", original, gzip_on_the_fly=True)
        offered["identity"] = Representation("identity", original)
        return offered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        relative = request.path_params.get("path", "") or self.index or ""
        if len(relative.encode()) > MAX_PATH_BYTES:
            return PlainTextResponse("URI Too Long", 414)
        original = self.locate(relative)
        if original is None:
            return PlainTextResponse("Not Found", 404)
        kind = media_type(original.path)
        offered = self.representations(relative, original, kind)
        byte_range = self.requested_range(request, offered["identity"])
        # A part of a compressed stream is of no use to a client: ranges are of the stored bytes.
        coding = "identity" if byte_range else AcceptEncoding(request.headers.get("accept-encoding")).choose(
            list(offered))
        chosen = offered[coding]
        headers = {
            "ETag": chosen.etag,
            "Last-Modified": email.utils.formatdate(original.stat.st_mtime, usegmt=True),
            "Cache-Control": self.cache_control,
            "Accept-Ranges": "bytes",
        }
        if len(offered) > 1:
            headers["Vary"] = "Accept-Encoding"
        if self.not_modified(request, chosen.etag, original.stat.st_mtime):
            return Response(status_code=304, headers=headers)
        if byte_range is not None:
            headers["Content-Range"] = byte_range.content_range
            if not byte_range.satisfiable:
                return PlainTextResponse("Range Not Satisfiable", 416, headers=headers)
            return FileBody(original.path, byte_range.start, byte_range.end, 206, headers, kind)
        if coding != "identity":
            headers["Content-Encoding"] = coding
        if chosen.gzip_on_the_fly:
            return await self.gzipped(request, original, headers, kind)
        return FileBody(chosen.source.path, 0, chosen.source.size, 200, headers, kind)

    async def gzipped(self, request: Request, original: DiskFile, headers: dict[str, str], kind: str) -> Response:
        if request.method == "HEAD":
            response = Response(headers=headers, media_type=kind)
            del response.headers["content-length"]  # known only once compressed, and a HEAD reads nothing
            return response
        return Response(await self.gzip_cache.body(original), headers=headers, media_type=kind)

    @staticmethod
    def requested_range(request: Request, identity: Representation) -> ByteRange | None:
        """The range to answer with 206 or 416; None to answer in full: no Range, not a GET, an
        If-Range naming another version, or a Range we ignore."""
        header = request.headers.get("range")
        if header is None or request.method != "GET":
            return None
        if_range = request.headers.get("if-range")
        if if_range is not None:
            # RFC 9110 §13.1.5: a strong ETag match, or exactly the Last-Modified date
            current = identity.etag if if_range.startswith('"') \
                else email.utils.formatdate(identity.source.stat.st_mtime, usegmt=True)
            if if_range != current:
                return None
        return ByteRange.parse(header, identity.source.size)

    @staticmethod
    def not_modified(request: Request, etag: str, mtime: float) -> bool:
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return etag in tags or "*" in tags
        if_modified_since = request.headers.get("if-modified-since")
        if if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
            except (TypeError, ValueError):
                return False
            return int(mtime) <= since
        return False
