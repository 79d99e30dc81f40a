"""Python's side of the page <-> worker protocol (static/protocol.js describes the messages).

Modules register the calls they answer with `@method("name")`; worker.py imports them all.
Methods may be sync or async and take the request's params as keywords. Events (progress,
warnings) go to the page with `event(type, **fields)`.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback

import js

from ..errors import PyappError
from .jsbridge import js_array, js_object

METHODS = {}


def method(name: str):
    def register(fn):
        if name in METHODS:
            raise ValueError(f"worker method {name!r} is registered twice")
        METHODS[name] = fn
        return fn
    return register


def post(message: dict, transfer=()) -> None:
    js.postMessage(js_object(message), js_array(transfer))


def event(type_: str, **fields) -> None:
    post({"kind": "event", "type": type_, **fields})


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
