"""The worker's Python entry point: the model calls (load_model, predict, cache_*) and the basics.
Each page's own calls (the demo's, the analyser's, the tasks') and the test and benchmark helpers load
at their first call, not at every boot: a cold boot imports only what the index page needs. A memory
snapshot is made with the pages' modules imported (`import_pages`): a restored worker has them."""

from __future__ import annotations

import importlib
import sys

from .. import __version__
from . import models  # noqa: F401  (registers load_model, predict, cache_*)
from .rpc import lazy, method, on_request  # noqa: F401  (worker.js calls on_request)

# Each page's calls, by the module that answers them.
PAGES = {
    "pyapp.browser.demo": ("demo_start", "demo_options", "demo_background", "demo_frame", "demo_faces",
                           "demo_image", "demo_stats"),
    "pyapp.browser.tasks_methods": ("task_load", "task_run", "task_dispose"),
    "pyapp.browser.analyser": ("analyse_load", "analyse_run", "analyse_profile", "analyse_compare",
                               "analyse_npy", "analyse_task", "analyse_dispose"),
}
HELPERS = {  # the tests' and benchmarks'
    "pyapp.browser.webgl_methods": ("webgl_check_model", "webgl_profile", "webgl_bench"),
    "pyapp.browser.wasm_methods": ("wasm_bench",),
}
for module, names in {**PAGES, **HELPERS}.items():
    lazy(module, *names)


def import_pages() -> None:
    """The pages' modules imported now: worker.js calls this before it makes a memory snapshot."""
    for module in PAGES:
        importlib.import_module(module)


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
    random generators have the same state on every visit: fresh seeds from os.urandom. numpy's is
    reseeded only if the snapshot has it: numpy.random is imported at its first use, which seeds it."""
    import random

    random.seed()
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()


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
