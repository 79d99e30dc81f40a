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
from .usermodels import PREFIX as USER_MODELS, UserModels

# Cross-origin isolation lets pages use SharedArrayBuffer (TF.js wasm threads); CORP lets our own
# files load under it.
ISOLATION_HEADERS = [
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-embedder-policy", b"require-corp"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]


# Content-Security-Policy on every response: only our own origin supplies code, data, styles and
# workers (issue 11: a foreign pyodide.mjs once ran on the page and poisoned its IndexedDB cache).
# What each source beyond 'self' allows, and who needs it:
POLICY = {
    "default-src": "'self'",
    # no inline or foreign script and no JS eval; 'wasm-unsafe-eval' only lets Pyodide and TF.js compile
    # their WebAssembly (workers fall back to this list: our workers are our own files)
    "script-src": "'self' 'wasm-unsafe-eval'",
    "media-src": "'self' blob:",  # the demo plays a dropped video file from a blob: URL
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The bench page and its TF.js worker run the TF.js wasm baseline, whose threads are workers started
# from blob: URLs that import the backend's code from another blob: URL; no pyapp page needs that.
TFJS_WASM_PATHS = ("/bench.html", "/tfjs-worker.js")
TFJS_WASM_SCRIPTS = "'self' 'wasm-unsafe-eval' blob:"
# Test servers only (`python -m pyapp.server.local`): Playwright's wait_for_function evaluates its
# expression in the page, and tests run JavaScript in the worker (run_js, js.Function): JS eval.
TEST_EVAL = " 'unsafe-eval'"


def content_security_policy(path: str, for_tests: bool = False) -> str:
    policy = dict(POLICY)
    if path in TFJS_WASM_PATHS:
        policy["script-src"] = TFJS_WASM_SCRIPTS
    if for_tests:
        policy["script-src"] += TEST_EVAL
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


class IsolationHeaders:
    """Adds the isolation headers and the Content-Security-Policy to every response."""

    def __init__(self, app: ASGIApp, for_tests: bool = False):
        self.app, self.for_tests = app, for_tests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = content_security_policy(scope["path"], self.for_tests).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + ISOLATION_HEADERS + [
                    (b"content-security-policy", policy)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class IsolatedStarlette(Starlette):
    """Starlette with the isolation headers outside its error handler too, so that a 500 has them
    (middleware added the usual way sits inside it)."""

    def __init__(self, for_tests: bool, **kwargs):
        self.for_tests = for_tests
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return IsolationHeaders(super().build_middleware_stack(), self.for_tests)


@dataclass(frozen=True)
class ServerPaths:
    static: Path
    pyodide: Path
    tfjs: Path
    wheels: Path
    models: Path
    images: Path | None = None  # test images (scikit-image's), offered by the analyser page
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
                   models=assets / "served-models", images=assets / "images", **compiled)


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


def create_app(paths: ServerPaths | None = None, model_dirs: list[str | Path] = (),
               for_tests: bool = False) -> Starlette:
    """model_dirs: the user's model folders (`pyapp serve --models DIR`), served from where they are.
    `for_tests` (only `python -m pyapp.server.local` sets it) turns on the test hooks: the worker
    then answers run_python, and the pages may use JS eval (see TEST_EVAL)."""
    paths = paths or ServerPaths.default()
    user_models = UserModels(model_dirs)
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
            "user_models": user_models.urls(),
            "images": {p.stem: f"/images/{p.name}" for p in sorted(paths.images.glob("*.png"))} if paths.images else {},
            "test_hooks": for_tests,  # the worker reads this itself: a page cannot turn the hooks on
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
        Route(USER_MODELS + "/{name}/{path:path}", user_models, methods=methods),
        *([Route("/images/{path:path}", StaticRoot(paths.images), methods=methods)] if paths.images else []),
        Route("/demo", lambda request: RedirectResponse("/demo.html"), methods=methods),
        Route("/{path:path}", StaticRoot(paths.static, index="index.html"), methods=methods),
    ]
    return IsolatedStarlette(for_tests, routes=routes)
