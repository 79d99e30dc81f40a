"""`pyapp serve --models DIR`: the user's own model folders, served where they are (no copy) under
/user-models/NAME/. A DIR holding model.json is one model named after the folder; otherwise each
DIR/NAME/model.json is one.

model.json goes out with the sha256 of each shard added under the "pyapp" key (as `pyapp shard`
writes it), so the page verifies and caches the shards by content like the bundled models'. The
hashes are computed on the first request for model.json, in a thread, and again whenever model.json
or a shard changes on disk (size, mtime or inode). A model.json that is not JSON, or a shard that is
missing, goes out as it is: the page's loader names the problem.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..errors import PyappError
from ..model.shards import HASH_KEY, shard_record
from .static import REVALIDATE, StaticRoot

PREFIX = "/user-models"


def find_models(dirs: list[str | Path]) -> dict[str, Path]:
    """Model name -> its folder, for each DIR (itself a model folder, or a folder of them)."""
    found: dict[str, Path] = {}
    for d in map(Path, dirs):
        if not d.is_dir():
            raise PyappError(f"--models {d}: not a folder")
        folders = [d] if (d / "model.json").is_file() else sorted(p.parent for p in d.glob("*/model.json"))
        if not folders:
            raise PyappError(f"--models {d}: no model.json in it, nor in any folder directly under it")
        for folder in folders:
            name = folder.resolve().name
            if name in found:
                raise PyappError(f"--models: two model folders are named {name!r}: {found[name]} and {folder}")
            found[name] = folder.resolve()
    return found


def with_shard_hashes(model_json: bytes, folder: Path) -> bytes:
    """model.json with {"pyapp": {"shards": {path: {bytes, sha256}}}} for every shard present; as it
    is when it is not a JSON object or already lists hashes."""
    try:
        raw = json.loads(model_json)
    except ValueError:
        return model_json
    if not isinstance(raw, dict) or HASH_KEY in raw:
        return model_json
    paths = [p for group in raw.get("weightsManifest") or [] if isinstance(group, dict)
             for p in group.get("paths") or [] if isinstance(p, str)]
    root = StaticRoot(folder)  # a shard path that leads out of the folder is not hashed (nor served)
    records = {p: shard_record(shard.path.read_bytes()) for p in paths if (shard := root.locate(p)) is not None}
    return json.dumps({**raw, HASH_KEY: {"shards": records}}).encode()


def disk_state(folder: Path, model_json: bytes) -> tuple:
    """What says the files changed: model.json's bytes and each file's (inode, size, mtime)."""
    stats = tuple((p.name, s.st_ino, s.st_size, s.st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()
                  for s in [p.stat()])
    return hashlib.sha256(model_json).hexdigest(), stats


class UserModels:
    """The ASGI endpoint for /user-models/{name}/{path}."""

    def __init__(self, dirs: list[str | Path]):
        self.folders = find_models(dirs)
        self.roots = {name: StaticRoot(folder) for name, folder in self.folders.items()}
        self.manifests: dict[str, tuple[tuple, bytes]] = {}  # name -> (disk state, model.json served)

    def urls(self) -> dict[str, str]:
        return {name: f"{PREFIX}/{name}/model.json" for name in self.folders}

    async def model_json(self, name: str) -> bytes | None:
        root = self.roots[name]
        found = root.locate("model.json")
        if found is None:
            return None
        original = found.path.read_bytes()
        state = disk_state(root.directory, original)
        if name not in self.manifests or self.manifests[name][0] != state:
            served = await anyio.to_thread.run_sync(with_shard_hashes, original, root.directory)
            self.manifests[name] = (state, served)
        return self.manifests[name][1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        name, path = request.path_params["name"], request.path_params.get("path", "")
        if name not in self.roots:
            response = Response("Not Found", 404, media_type="text/plain")
        elif path == "model.json" and (body := await self.model_json(name)) is not None:
            etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
            headers = {"ETag": etag, "Cache-Control": REVALIDATE}
            if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
                response = Response(status_code=304, headers=headers)
            else:
                response = Response(body, headers=headers, media_type="application/json")
        else:
            response = await self.roots[name].respond(request)
        await response(scope, receive, send)
