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
from .static import IMMUTABLE, StaticRoot
from .usermodels import PREFIX as USER_MODELS, UserModels

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
    images: Path | None = None  # test images (scikit-image's), offered by the analyser page

    @classmethod
    def default(cls) -> "ServerPaths":
        assets = assets_dir()
        return cls(static=REPO_ROOT / "static", pyodide=assets / "pyodide", tfjs=assets / "tfjs",
                   wheels=REPO_ROOT / "dist", models=assets / "served-models", images=assets / "images")


def pyodide_url() -> str:
    # The version is in the URL, so these files never change under it and can be cached forever.
    return f"/pyodide/v{PYODIDE_VERSION}/"


def wheel_name(wheels: Path) -> str | None:
    candidates = sorted(wheels.glob(f"pyapp-{__version__}-py3-none-any.whl"))
    return candidates[-1].name if candidates else None


def create_app(paths: ServerPaths | None = None, model_dirs: list[str | Path] = ()) -> Starlette:
    """model_dirs: the user's model folders (`pyapp serve --models DIR`), served from where they are."""
    paths = paths or ServerPaths.default()
    user_models = UserModels(model_dirs)
    methods = ["GET", "HEAD"]

    async def config(request):
        wheel = wheel_name(paths.wheels)
        # dot folders are scratch copies (the loading tests'): served, but not offered
        models = sorted(p.parent.name for p in paths.models.glob("*/model.json") if not p.parent.name.startswith("."))
        return JSONResponse({
            "version": __version__,
            "pyodide": pyodide_url(),
            "wheel": f"/wheels/{wheel}" if wheel else None,
            "tfjs": f"/vendor/tfjs/v{TFJS_VERSION}/",
            "models": {name: f"/models/{name}/model.json" for name in models},
            "user_models": user_models.urls(),
            "images": {p.stem: f"/images/{p.name}" for p in sorted(paths.images.glob("*.png"))} if paths.images else {},
        }, headers={"Cache-Control": "no-cache"})

    routes = [
        Route("/api/config", config, methods=methods),
        Route(pyodide_url() + "{path:path}", StaticRoot(paths.pyodide, IMMUTABLE), methods=methods),
        Route(f"/vendor/tfjs/v{TFJS_VERSION}/{{path:path}}", StaticRoot(paths.tfjs, IMMUTABLE),
              methods=methods),
        Route("/wheels/{path:path}", StaticRoot(paths.wheels), methods=methods),
        Route("/models/{path:path}", StaticRoot(paths.models), methods=methods),
        Route(USER_MODELS + "/{name}/{path:path}", user_models, methods=methods),
        *([Route("/images/{path:path}", StaticRoot(paths.images), methods=methods)] if paths.images else []),
        Route("/demo", lambda request: RedirectResponse("/demo.html"), methods=methods),
        Route("/{path:path}", StaticRoot(paths.static, index="index.html"), methods=methods),
    ]
    return IsolatedStarlette(routes=routes)
