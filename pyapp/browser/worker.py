"""Python's side of the page <-> worker protocol (static/protocol.js describes the messages).

worker.js hands each request here; a method from METHODS answers it, and the response is posted
back with the request's id. Methods may be sync or async and take the request's params as keywords.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import traceback

import js
from pyodide.ffi import to_js

from .. import __version__
from ..errors import PyappError

METHODS = {}


def method(name: str):
    def register(fn):
        METHODS[name] = fn
        return fn
    return register


def post(message: dict) -> None:
    js.postMessage(to_js(message, dict_converter=js.Object.fromEntries))


def event(type_: str, **fields) -> None:
    post({"kind": "event", "type": type_, **fields})


@method("info")
def info() -> dict:
    import numpy

    return {"python": sys.version.split()[0], "numpy": numpy.__version__, "pyapp": __version__,
            "platform": sys.platform}


@method("run_python")
async def run_python(code: str):
    """Evaluate Python in the worker (a console for scripts and tests); returns the last value."""
    from pyodide.code import eval_code_async

    return await eval_code_async(code, globals={"__name__": "__console__"})


@method("webgl_info")
def webgl_info() -> dict:
    from .gl import context_info, create_context

    return context_info(create_context())


async def handle(message: dict) -> dict:
    name, params = message["method"], message.get("params") or {}
    fn = METHODS.get(name)
    if fn is None:
        return {"ok": False, "error": f"unknown method {name!r}; known: {', '.join(sorted(METHODS))}"}
    try:
        result = fn(**params)
        if inspect.isawaitable(result):
            result = await result
        return {"ok": True, "result": result}
    except PyappError as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
    except Exception as e:  # anything else is a bug: send the traceback so it can be reported
        return {"ok": False, "error": "".join(traceback.format_exception(e)).strip()}


def on_request(request) -> None:
    """Entry point for worker.js: runs the call in the background, posts its response."""
    message = request.to_py()

    async def respond():
        reply = await handle(message)
        post({"kind": "response", "id": message["id"], **reply})

    asyncio.ensure_future(respond())
