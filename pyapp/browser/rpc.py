"""Python's side of the page <-> worker protocol (static/protocol.js describes the messages).

Modules register the calls they answer with `@method("name")`; worker.py imports the model calls'
module and names the others with `lazy(module, names...)`: each is imported at its first call.
Methods may be sync or async and take the request's params as keywords. Events (progress,
warnings) go to the page with `event(type, **fields)`.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import traceback
from dataclasses import dataclass, field

import js

from ..errors import PyappError
from .jsbridge import js_array, js_object

METHODS = {}
LAZY: dict[str, str] = {}  # call name -> the module that registers it, not imported until called


def method(name: str):
    def register(fn):
        if name in METHODS:
            raise ValueError(f"worker method {name!r} is registered twice")
        METHODS[name] = fn
        return fn
    return register


def lazy(module: str, *names: str) -> None:
    """`names` are answered by `module` (its @method calls), imported only when one is first called."""
    for name in names:
        LAZY[name] = module


@dataclass
class Transferring:
    """A method's result and the ArrayBuffers that move (not copy) to the page with it. Only buffers
    made for the reply: a view of Pyodide's heap must never be transferred."""
    result: object
    buffers: list = field(default_factory=list)


def post(message: dict, transfer=()) -> None:
    # No PyProxy may leave: postMessage cannot clone one, so an object with no JS form fails here, as
    # a ConversionError the caller can answer with, instead of a proxy that leaks or cannot be sent.
    js.postMessage(js_object(message, create_pyproxies=False), js_array(transfer))


def event(type_: str, **fields) -> None:
    post({"kind": "event", "type": type_, **fields})


async def handle(message: dict) -> tuple[dict, list]:
    name, params = message["method"], message.get("params") or {}
    try:
        if name not in METHODS and name in LAZY:
            importlib.import_module(LAZY[name])  # registers its calls
        fn = METHODS.get(name)
        if fn is None:
            return {"ok": False, "error": f"unknown method {name!r}; known: {', '.join(sorted({*METHODS, *LAZY}))}"}, []
        result = fn(**params)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, Transferring):
            return {"ok": True, "result": result.result}, result.buffers
        return {"ok": True, "result": result}, []
    except PyappError as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}, []
    except Exception as e:  # anything else is a bug: send the traceback so it can be reported
        return {"ok": False, "error": "".join(traceback.format_exception(e)).strip()}, []


def on_request(request) -> None:
    """Entry point for worker.js: runs the call in the background, posts its response. Every call is
    answered: a result that cannot be converted or cloned (a Python object, a function) is an error."""
    message = request.to_py()

    async def respond():
        reply, transfer = await handle(message)
        try:
            post({"kind": "response", "id": message["id"], **reply}, transfer)
        except Exception as e:
            error = f"{message['method']}: its result cannot be sent to the page ({type(e).__name__}: {e})"
            post({"kind": "response", "id": message["id"], "ok": False, "error": error})

    asyncio.ensure_future(respond())
