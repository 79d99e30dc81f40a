"""The Starlette app: the page, the Pyodide runtime, the pyapp wheel and the models, from one origin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..assets import PYODIDE_VERSION, REPO_ROOT, TFJS_VERSION, assets_dir
from ..assets_derived import build_id
from ..assets_served import served_pyodide, served_wheel
from .static import IMMUTABLE, StaticRoot

# Cross-origin isolation lets pages use SharedArrayBuffer (TF.js wasm threads); CORP lets our own
# files load under it.
ISOLATION_HEADERS = [
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-embedder-policy", b"require-corp"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]


class IsolationHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + ISOLATION_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class IsolatedStarlette(Starlette):
    """Starlette with the isolation headers outside its error handler too, so that a 500 has them
    (middleware added the usual way sits inside it)."""

    def build_middleware_stack(self) -> ASGIApp:
        return IsolationHeaders(super().build_middleware_stack())


@dataclass(frozen=True)
class ServerPaths:
    static: Path
    pyodide: Path
    tfjs: Path
    wheels: Path
    models: Path
    pyodide_build: str | None = None  # set when `pyodide` is the compiled served-pyodide folder
    pyodide_originals: Path | None = None  # then the verified originals too, at the plain version URL

    @classmethod
    def default(cls) -> "ServerPaths":
        assets = assets_dir()
        # The compiled runtime only while it matches its record; else the verified originals.
        served = served_pyodide(assets)
        compiled = {"pyodide": assets / "served-pyodide", "pyodide_build": build_id(served),
                    "pyodide_originals": assets / "pyodide"} if served else {"pyodide": assets / "pyodide"}
        return cls(static=REPO_ROOT / "static", tfjs=assets / "tfjs", wheels=REPO_ROOT / "dist",
                   models=assets / "served-models", **compiled)


def pyodide_url(build: str | None = None) -> str:
    # The version (and the compiled build's content hash) is in the URL, so these files never change
    # under it and can be cached forever.
    return f"/pyodide/v{PYODIDE_VERSION}{'-' + build if build else ''}/"


def wheel_name(wheels: Path) -> str | None:
    """The wheel's compiled form (served/NAME) while it is made from exactly this wheel, else the wheel."""
    candidates = sorted(wheels.glob(f"pyapp-{__version__}-py3-none-any.whl"))
    if not candidates:
        return None
    compiled = served_wheel(candidates[-1])
    return compiled.relative_to(wheels).as_posix() if compiled else candidates[-1].name


def create_app(paths: ServerPaths | None = None) -> Starlette:
    paths = paths or ServerPaths.default()
    methods = ["GET", "HEAD"]

    async def config(request):
        wheel = wheel_name(paths.wheels)
        # dot folders are scratch copies (the loading tests'): served, but not offered
        models = sorted(p.parent.name for p in paths.models.glob("*/model.json") if not p.parent.name.startswith("."))
        return JSONResponse({
            "version": __version__,
            "pyodide": pyodide_url(paths.pyodide_build),
            "wheel": f"/wheels/{wheel}" if wheel else None,
            "tfjs": f"/vendor/tfjs/v{TFJS_VERSION}/",
            "models": {name: f"/models/{name}/model.json" for name in models},
        }, headers={"Cache-Control": "no-cache"})

    routes = [
        Route("/api/config", config, methods=methods),
        Route(pyodide_url(paths.pyodide_build) + "{path:path}", StaticRoot(paths.pyodide, IMMUTABLE),
              methods=methods),
        *([Route(pyodide_url() + "{path:path}", StaticRoot(paths.pyodide_originals, IMMUTABLE),
                 methods=methods)] if paths.pyodide_originals else []),
        Route(f"/vendor/tfjs/v{TFJS_VERSION}/{{path:path}}", StaticRoot(paths.tfjs, IMMUTABLE),
              methods=methods),
        Route("/wheels/{path:path}", StaticRoot(paths.wheels), methods=methods),
        Route("/models/{path:path}", StaticRoot(paths.models), methods=methods),
        Route("/demo", lambda request: RedirectResponse("/demo.html"), methods=methods),
        Route("/{path:path}", StaticRoot(paths.static, index="index.html"), methods=methods),
    ]
    return IsolatedStarlette(routes=routes)
