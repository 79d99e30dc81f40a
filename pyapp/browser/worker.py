"""The worker's Python entry point: imports every module that answers the pages' calls, plus the
basics; the test and benchmark helpers load at their first call, not at every boot."""

from __future__ import annotations

import sys

from .. import __version__
from . import demo  # noqa: F401  (registers the webcam demo's calls)
from . import models  # noqa: F401  (registers load_model, predict, cache_*)
from . import tasks_methods  # noqa: F401  (registers task_load, task_run, task_dispose)
from . import analyser  # noqa: F401  (registers the analyser page's analyse_* calls)
from .rpc import lazy, method, on_request  # noqa: F401  (worker.js calls on_request)

lazy("pyapp.browser.webgl_methods", "webgl_check_model", "webgl_profile", "webgl_bench")
lazy("pyapp.browser.wasm_methods", "wasm_bench")


@method("info")
def info() -> dict:
    import numpy

    return {"python": sys.version.split()[0], "numpy": numpy.__version__, "pyapp": __version__,
            "platform": sys.platform}


@method("wasm_memory")
def wasm_memory() -> dict:
    """The size of Pyodide's wasm memory and whether it is shared (the benchmark's memory figures)."""
    import pyodide_js

    heap = pyodide_js._module.HEAPU8
    return {"wasm_bytes": heap.length, "wasm_shared": heap.buffer.constructor.name == "SharedArrayBuffer"}


def reseed() -> None:
    """worker.js calls this after restoring a memory snapshot, in which Python's and numpy's global
    random generators have the same state on every visit: fresh seeds from os.urandom."""
    import random

    import numpy

    random.seed()
    numpy.random.seed()


async def run_python(code: str):
    """Evaluate Python in the worker (a console for tests and tools); returns the last value."""
    from pyodide.code import eval_code_async

    return await eval_code_async(code, globals={"__name__": "__console__"})


def enable_test_hooks() -> None:
    """Registers run_python. worker.js calls this only when the server's own config says it was
    started for tests (`python -m pyapp.server.local`); under `pyapp serve` no call runs code."""
    method("run_python")(run_python)


@method("webgl_info")
def webgl_info() -> dict:
    from .gl import context_info, create_context

    return context_info(create_context())
