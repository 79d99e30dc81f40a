"""Files under one root folder: exact MIME types, content-hash ETags, 304s, gzip for text, and
nothing outside the root (no `..`, no absolute paths, no symlinks that lead out, no listings)."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

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
}
GZIP_TYPES = ("text/", "application/json", "image/svg+xml")
GZIP_MIN_BYTES = 1024
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def media_type(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] \
        or "application/octet-stream"


@dataclass(frozen=True)
class FileVersion:
    """What a file is at one (mtime, size): its ETag, and its gzip body once asked for."""
    etag: str
    body: bytes
    gzipped: bytes | None


class StaticRoot:
    """An ASGI app for a GET/HEAD route, serving `directory` under a route with a `{path:path}` parameter."""

    def __init__(self, directory: Path, cache_control: str = REVALIDATE, index: str | None = None):
        self.directory = Path(directory).resolve()
        self.cache_control = cache_control
        self.index = index
        self._versions: dict[Path, tuple[tuple[int, int], FileVersion]] = {}

    def resolve(self, relative: str) -> Path | None:
        """The file for a URL path, or None when it is outside the root or not a regular file."""
        if not relative and self.index:
            relative = self.index
        if "\x00" in relative or relative.startswith(("/", "\\")):
            return None
        candidate = (self.directory / relative).resolve()  # follows symlinks, then we check
        if not candidate.is_relative_to(self.directory) or not candidate.is_file():
            return None
        return candidate

    def version(self, path: Path, want_gzip: bool) -> FileVersion:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._versions.get(path)
        if cached is None or cached[0] != key:
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            cached = (key, FileVersion(etag, body, None))
        if want_gzip and cached[1].gzipped is None:
            version = cached[1]
            cached = (key, FileVersion(version.etag, version.body,
                                       gzip.compress(version.body, compresslevel=6, mtime=0)))
        self._versions[path] = cached
        return cached[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        path = self.resolve(request.path_params.get("path", ""))
        if path is None:
            return PlainTextResponse("Not Found", 404)
        kind = media_type(path)
        compressible = kind.startswith(GZIP_TYPES) and path.stat().st_size >= GZIP_MIN_BYTES
        accepts_gzip = "gzip" in request.headers.get("accept-encoding", "")
        version = self.version(path, compressible and accepts_gzip)
        mtime = path.stat().st_mtime
        headers = {
            "ETag": version.etag,
            "Last-Modified": email.utils.formatdate(mtime, usegmt=True),
            "Cache-Control": self.cache_control,
        }
        if compressible:
            headers["Vary"] = "Accept-Encoding"
        if self.not_modified(request, version.etag, mtime):
            return Response(status_code=304, headers=headers)
        body = version.body
        if compressible and accepts_gzip:
            body = version.gzipped
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(body))
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers, media_type=kind)
        return Response(body, headers=headers, media_type=kind)

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
